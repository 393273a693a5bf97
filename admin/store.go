package admin

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store keeps the session ids handed to the Admin UI after a login, so that
// the UI reconnects (a reload, another node) without the password. Methods
// are called from a goroutine of their own, never from an event loop: they
// may block.
type Store interface {
	SessionExists(ctx context.Context, id string) (bool, error)
	SaveSession(ctx context.Context, id string) error
}

// MemoryStore is the default Store: this process only, for as long as it
// runs (Node's InMemoryStore).
type MemoryStore struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{ids: make(map[string]struct{})} }

// SessionExists implements Store.
func (m *MemoryStore) SessionExists(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.ids[id]
	return ok, nil
}

// SaveSession implements Store.
func (m *MemoryStore) SaveSession(_ context.Context, id string) error {
	m.mu.Lock()
	m.ids[id] = struct{}{}
	m.mu.Unlock()
	return nil
}

// RedisStore keeps sessions in Redis, shared by every node of a cluster
// and with Node.js servers using the admin UI package's RedisStore: the
// key is Prefix + "#" + id, holding "1", expiring after Duration.
type RedisStore struct {
	Client   redis.UniversalClient
	Prefix   string        // default "socket.io-admin"
	Duration time.Duration // default 24 h
}

func (r *RedisStore) key(id string) string {
	p := r.Prefix
	if p == "" {
		p = "socket.io-admin"
	}
	return p + "#" + id
}

// SessionExists implements Store.
func (r *RedisStore) SessionExists(ctx context.Context, id string) (bool, error) {
	n, err := r.Client.Exists(ctx, r.key(id)).Result()
	return n == 1, err
}

// SaveSession implements Store.
func (r *RedisStore) SaveSession(ctx context.Context, id string) error {
	d := r.Duration
	if d <= 0 {
		d = 24 * time.Hour
	}
	return r.Client.Set(ctx, r.key(id), "1", d).Err()
}
