package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/security/redislimit"
	"github.com/helpr-chat/helpr/transport/api"
)

func TestAPIUserRPMFlagDefaultEnvAndBadValues(t *testing.T) {
	c, err := parseServeFlags(nil, env(nil))
	if err != nil || c.APIUserRPM != api.DefaultAPIUserRPM {
		t.Fatalf("default: %d, %v; want %d", c.APIUserRPM, err, api.DefaultAPIUserRPM)
	}
	c, err = parseServeFlags(nil, env(map[string]string{"HELPR_API_USER_RPM": "3000"}))
	if err != nil || c.APIUserRPM != 3000 {
		t.Fatalf("HELPR_API_USER_RPM=3000: %d, %v", c.APIUserRPM, err)
	}
	c, err = parseServeFlags([]string{"--api-user-rpm", "60"}, env(map[string]string{"HELPR_API_USER_RPM": "3000"}))
	if err != nil || c.APIUserRPM != 60 {
		t.Fatalf("the flag over the environment: %d, %v", c.APIUserRPM, err)
	}
	for _, bad := range []string{"0", "-1", "off", "1.5", "1000001", "lots", ""} {
		_, err := parseServeFlags([]string{"--api-user-rpm", bad}, env(nil))
		if err == nil || !strings.Contains(err.Error(), "api-user-rpm") || !strings.Contains(err.Error(), "from 1 to 1000000") {
			t.Errorf("--api-user-rpm %q: error %v does not name the flag and the bounds", bad, err)
		}
	}
	if _, err := parseServeFlags(nil, env(map[string]string{"HELPR_API_USER_RPM": "0"})); err == nil ||
		!strings.Contains(err.Error(), "HELPR_API_USER_RPM") {
		t.Errorf("HELPR_API_USER_RPM=0: %v", err)
	}
	// A Config built in code: 0 is the default, out of range is refused.
	for n, ok := range map[int]bool{0: true, 1: true, -1: false, maxAPIUserRPM + 1: false} {
		if err := validAPIUserRPM(n); (err == nil) != ok || err != nil && !strings.Contains(err.Error(), "--api-user-rpm") {
			t.Errorf("validAPIUserRPM(%d) = %v", n, err)
		}
	}
}

// A single node keeps the API's in-memory windows (untyped nils, so the API
// sees no limiter); a cluster node charges Redis under helpr:rl:apikey and
// helpr:rl:apiuser.
func TestAPIQuotasAreSharedThroughRedisInACluster(t *testing.T) {
	var single *cluster
	if k, u := single.apiQuotas(time.Now); k != nil || u != nil {
		t.Fatalf("single node: %v, %v; want nil limiters", k, u)
	}
	opt, err := redis.ParseURL(testsvc.NewRedis(t).URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	k, u := (&cluster{rdb: rdb}).apiQuotas(time.Now)
	if _, ok := k.(*redislimit.Quota); !ok {
		t.Fatalf("per-key limiter %T, want *redislimit.Quota", k)
	}
	if _, ok := u.(*redislimit.Quota); !ok {
		t.Fatalf("per-user limiter %T, want *redislimit.Quota", u)
	}
	ctx := context.Background()
	if q, err := k.Take(ctx, "key_1", 600); err != nil || !q.Allowed || q.Remaining != 599 {
		t.Fatalf("per-key take: %+v, %v", q, err)
	}
	if q, err := u.Take(ctx, "agt_1", 1200); err != nil || !q.Allowed || q.Remaining != 1199 {
		t.Fatalf("per-user take: %+v, %v", q, err)
	}
	for _, prefix := range []string{"helpr:rl:apikey:", "helpr:rl:apiuser:"} {
		keys, err := rdb.Keys(ctx, prefix+"*").Result()
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys under %s: %q, %v; want one", prefix, keys, err)
		}
	}
}
