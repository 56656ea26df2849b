// Command benchapp is the App that build/bench.sh installs as bench-app. It responds to every call at
// once so that a load test measures the plugin and the server, not the App: POST /ping gets 200
// with {}, and any other POST gets 200 with the CallResponse {"type":"ok"} after the request body
// has been read and discarded. It listens on 127.0.0.1 only and uses only the standard library.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"
)

var (
	pingResponse = []byte("{}")
	okResponse   = []byte(`{"type":"ok"}`)
)

func main() {
	port := flag.Int("port", 8082, "TCP port to listen on, on 127.0.0.1 only")
	flag.Parse()
	if *port < 1 || *port > 65535 {
		log.Fatalf("benchapp: invalid -port %d: use 1 to 65535", *port)
	}

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(*port))
	server := &http.Server{
		Addr:              addr,
		Handler:           http.HandlerFunc(serve),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("benchapp: listening on %s", addr)
	log.Fatal(server.ListenAndServe())
}

// serve reads the whole request body before it responds, as a real App would, so that the
// plugin's upload of the call is part of every measured request.
func serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: use POST", http.StatusMethodNotAllowed)
		return
	}

	body := okResponse
	if r.URL.Path == "/ping" {
		body = pingResponse
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
