package store

import (
	"encoding/json"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// MaxKVValueBytes is the largest value an App can store under one key. Larger values give an
// error wrapping apps.ErrTooLarge.
const MaxKVValueBytes = 1 << 20

// KVSet stores value, which must be valid JSON, under the App's key for the user and prefix. It
// returns whether the KV store reports the value as written.
func (s *Store) KVSet(appID apps.AppID, userID, prefix, key string, value []byte) (changed bool, err error) {
	if err := validateAppKVKey(appID, key); err != nil {
		return false, err
	}
	if len(value) > MaxKVValueBytes {
		return false, apps.NewError(apps.ErrTooLarge, nil, "value of key %q of app %s is %d bytes, over the limit of %d bytes", key, appID, len(value), MaxKVValueBytes)
	}
	if !json.Valid(value) {
		return false, apps.NewError(apps.ErrInvalidInput, nil, "value of key %q of app %s is not valid JSON", key, appID)
	}

	changed, err = s.kv.Set(appKVKey(appID, userID, prefix, key), value)
	if err != nil {
		return false, errors.Wrapf(err, "failed to store key %q of app %s", key, appID)
	}
	return changed, nil
}

// KVGet returns the value stored under the App's key for the user and prefix, or nil and no error
// when there is none.
func (s *Store) KVGet(appID apps.AppID, userID, prefix, key string) ([]byte, error) {
	if err := validateAppKVKey(appID, key); err != nil {
		return nil, err
	}

	var value []byte
	if err := s.kv.Get(appKVKey(appID, userID, prefix, key), &value); err != nil {
		return nil, errors.Wrapf(err, "failed to read key %q of app %s", key, appID)
	}
	return value, nil
}

// KVDelete deletes the App's key for the user and prefix. Deleting a missing key is not an error.
func (s *Store) KVDelete(appID apps.AppID, userID, prefix, key string) error {
	if err := validateAppKVKey(appID, key); err != nil {
		return err
	}

	if err := s.kv.Delete(appKVKey(appID, userID, prefix, key)); err != nil {
		return errors.Wrapf(err, "failed to delete key %q of app %s", key, appID)
	}
	return nil
}

// KVDeleteAll deletes all KV data of the App, for every user and prefix.
func (s *Store) KVDeleteAll(appID apps.AppID) error {
	if err := appID.Validate(); err != nil {
		return errors.Wrapf(apps.ErrInvalidInput, "failed to delete kv data: %s", err)
	}

	keys, err := s.listKeysWithPrefix(appKVKeysOfApp(appID))
	if err != nil {
		return errors.Wrapf(err, "failed to list kv data of app %s", appID)
	}
	for i, key := range keys {
		if err := s.kv.Delete(key); err != nil {
			return errors.Wrapf(err, "failed to delete kv data of app %s after %d of %d keys", appID, i, len(keys))
		}
	}
	return nil
}

func validateAppKVKey(appID apps.AppID, key string) error {
	if err := appID.Validate(); err != nil {
		return errors.Wrapf(apps.ErrInvalidInput, "invalid kv request: %s", err)
	}
	if key == "" {
		return errors.Wrapf(apps.ErrInvalidInput, "invalid kv request of app %s: the key is missing", appID)
	}
	return nil
}
