package webhook

import (
	"encoding/base64"
	"io"
	"unicode/utf8"
)

// escapeMode selects which bytes an escapeReader replaces.
type escapeMode int

const (
	// escapeString escapes text as the content of a JSON string, as encoding/json does without
	// HTML escaping: '"', '\\' and control characters are escaped, invalid UTF-8 becomes \ufffd
	// (one per invalid byte) and U+2028 and U+2029 become \u2028 and \u2029.
	escapeString escapeMode = iota
	// escapeInvalidUTF8 replaces only invalid UTF-8 bytes by \ufffd. Applied to valid JSON, whose
	// invalid bytes can only sit inside strings, the result is valid JSON in valid UTF-8 with the
	// value encoding/json decodes from the original.
	escapeInvalidUTF8
)

// maxEscapeBytes is the length of the longest escape sequence, such as \u001f.
const maxEscapeBytes = 6

const hexDigits = "0123456789abcdef"

// escapeReader streams src with the bytes that mode selects replaced by escape sequences. It reads
// src in place and keeps no copy of it. src is decoded from its start, so a multi-byte character
// is always seen whole, even when the caller's buffer ends in the middle of its output.
type escapeReader struct {
	src  []byte
	mode escapeMode
	pos  int
	// plainEnd ends the run src[pos:plainEnd] that needs no escape; it is on a character boundary.
	plainEnd int
	// pending is the rest of an escape sequence that did not fit into the caller's buffer.
	pending []byte
	scratch [maxEscapeBytes]byte
}

func newEscapeReader(src []byte, mode escapeMode) *escapeReader {
	return &escapeReader{src: src, mode: mode}
}

// Read implements io.Reader.
func (e *escapeReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch {
		case len(e.pending) > 0:
			copied := copy(p[n:], e.pending)
			e.pending = e.pending[copied:]
			n += copied
		case e.pos < e.plainEnd:
			copied := copy(p[n:], e.src[e.pos:e.plainEnd])
			e.pos += copied
			n += copied
		case e.pos < len(e.src):
			e.plainEnd = e.pos + plainPrefixLen(e.src[e.pos:], e.mode)
			if e.plainEnd == e.pos {
				escape, width := escapeAt(e.src[e.pos:], &e.scratch)
				e.pending = escape
				e.pos += width
			}
		default:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
	}
	return n, nil
}

// escapedLen returns the number of bytes an escapeReader produces from src.
func escapedLen(src []byte, mode escapeMode) int64 {
	var scratch [maxEscapeBytes]byte
	var length int64
	for len(src) > 0 {
		plain := plainPrefixLen(src, mode)
		if plain > 0 {
			length += int64(plain)
			src = src[plain:]
			continue
		}
		escape, width := escapeAt(src, &scratch)
		length += int64(len(escape))
		src = src[width:]
	}
	return length
}

// plainPrefixLen returns the length of the longest prefix of src that needs no escape in mode.
func plainPrefixLen(src []byte, mode escapeMode) int {
	i := 0
	for i < len(src) {
		b := src[i]
		if b < utf8.RuneSelf {
			if mode == escapeString && (b < 0x20 || b == '"' || b == '\\') {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		if mode == escapeString && (r == '\u2028' || r == '\u2029') {
			return i
		}
		i += size
	}
	return i
}

// escapeAt writes into scratch the escape sequence for the start of src, which plainPrefixLen
// found to need one, and returns it with the number of source bytes it replaces.
func escapeAt(src []byte, scratch *[maxEscapeBytes]byte) ([]byte, int) {
	b := src[0]
	if b < utf8.RuneSelf {
		scratch[0] = '\\'
		switch b {
		case '"', '\\':
			scratch[1] = b
		case '\b':
			scratch[1] = 'b'
		case '\f':
			scratch[1] = 'f'
		case '\n':
			scratch[1] = 'n'
		case '\r':
			scratch[1] = 'r'
		case '\t':
			scratch[1] = 't'
		default:
			return append(scratch[:0], '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf]), 1
		}
		return scratch[:2], 1
	}

	r, size := utf8.DecodeRune(src)
	if r == utf8.RuneError && size == 1 {
		return append(scratch[:0], `\ufffd`...), 1
	}
	// U+2028 or U+2029.
	return append(scratch[:0], '\\', 'u', '2', '0', '2', hexDigits[r&0xf]), size
}

// base64Reader streams the standard, padded base64 encoding of src, encoding as it is read.
type base64Reader struct {
	src     []byte
	pos     int
	pending []byte
	scratch [4]byte
}

func newBase64Reader(src []byte) *base64Reader {
	return &base64Reader{src: src}
}

// Read implements io.Reader. Every chunk but the last encodes a multiple of 3 source bytes, so the
// chunks join into the same text as one encoding of the whole source.
func (b *base64Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(b.pending) > 0 {
			copied := copy(p[n:], b.pending)
			b.pending = b.pending[copied:]
			n += copied
			continue
		}
		if b.pos == len(b.src) {
			break
		}

		groups := (len(p) - n) / 4
		if groups == 0 {
			// Less room than one 4-byte group: encode one group aside.
			end := min(b.pos+3, len(b.src))
			base64.StdEncoding.Encode(b.scratch[:], b.src[b.pos:end])
			b.pending = b.scratch[:]
			b.pos = end
			continue
		}
		end := min(b.pos+groups*3, len(b.src))
		base64.StdEncoding.Encode(p[n:], b.src[b.pos:end])
		n += base64.StdEncoding.EncodedLen(end - b.pos)
		b.pos = end
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}
