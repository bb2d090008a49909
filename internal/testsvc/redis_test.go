package testsvc

import (
	"net/url"
	"strconv"
	"testing"
)

func TestRedisServerStopsAndStartsOnTheSamePort(t *testing.T) {
	r := NewRedis(t)
	u, err := url.Parse(r.URL())
	if err != nil || u.Scheme != "redis" || u.Hostname() != "127.0.0.1" || u.Path != "/0" {
		t.Fatalf("URL() = %q (%v), want redis://127.0.0.1:PORT/0", r.URL(), err)
	}
	if port, _ := strconv.Atoi(u.Port()); port == 0 || port == redisDefaultPort {
		t.Fatalf("port %q: want a free port other than %d", u.Port(), redisDefaultPort)
	}
	if err := redisPing(r.addr()); err != nil {
		t.Fatalf("PING after NewRedis: %v", err)
	}
	r.Stop()
	r.Stop() // idempotent
	if err := redisPing(r.addr()); err == nil {
		t.Fatal("PING answered after Stop")
	}
	r.Start()
	if err := redisPing(r.addr()); err != nil {
		t.Fatalf("PING after Start: %v", err)
	}
	r.Start() // running: nothing to do
	if got := r.URL(); got != u.String() {
		t.Errorf("URL after a restart = %q, want %q", got, u.String())
	}
}

func TestRedisURLPrefersTheEnvironment(t *testing.T) {
	t.Setenv("HELPR_TEST_REDIS_URL", "redis://redis.test:6380/2")
	if got := RedisURL(t); got != "redis://redis.test:6380/2" {
		t.Errorf("RedisURL = %q, want the HELPR_TEST_REDIS_URL value", got)
	}
}
