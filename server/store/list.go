package store

import (
	"github.com/mattermost/mattermost/server/public/pluginapi"
	"github.com/pkg/errors"
)

// listKeysWithPrefix returns every plugin KV key that starts with prefix.
//
// The KV store applies key filters such as pluginapi.WithPrefix to each page after reading it, so
// a filtered page can be short, or empty, before the last page. The first checker therefore
// counts every key of the page, and the loop stops only after a page with fewer keys than
// requested. Both *pluginapi.KVService and *pluginapi.MemoryStore run the checkers in the order
// given.
func (s *Store) listKeysWithPrefix(prefix string) ([]string, error) {
	var keys []string
	for page := 0; ; page++ {
		keysInPage := 0
		countKeys := pluginapi.WithChecker(func(string) (bool, error) {
			keysInPage++
			return true, nil
		})

		matches, err := s.kv.ListKeys(page, s.listPageSize, countKeys, pluginapi.WithPrefix(prefix))
		if err != nil {
			return nil, errors.Wrapf(err, "failed to list keys with prefix %q", prefix)
		}
		keys = append(keys, matches...)

		if keysInPage < s.listPageSize {
			return keys, nil
		}
	}
}
