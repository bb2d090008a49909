package redisbroker

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchPayloadSize is the size of a typical chat message payload.
const benchPayloadSize = 200

// benchPair returns two brokers ("nodes") on a dedicated Redis.
func benchPair(b *testing.B) (pub, sub *Broker) {
	b.Helper()
	url := redisServer(b).URL()
	pub, _ = newBroker(b, url, Options{})
	sub, _ = newBroker(b, url, Options{})
	return pub, sub
}

// BenchmarkCrossNodeLatency measures one payload's trip from Publish on
// node A to the callback on node B, one payload at a time; p50 and p99 are
// reported in microseconds.
func BenchmarkCrossNodeLatency(b *testing.B) {
	pub, sub := benchPair(b)
	arrived := make(chan int64, 1)
	_, err := sub.Subscribe("bench.latency", func(p []byte) {
		arrived <- time.Now().UnixNano() - int64(binary.LittleEndian.Uint64(p))
	})
	if err != nil {
		b.Fatal(err)
	}
	payload := bytes.Repeat([]byte{'x'}, benchPayloadSize)
	lat := make([]int64, 0, b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		binary.LittleEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
		if err := pub.Publish(ctx, "bench.latency", payload); err != nil {
			b.Fatal(err)
		}
		select {
		case d := <-arrived:
			lat = append(lat, d)
		case <-time.After(guard):
			b.Fatalf("payload lost: none arrived within %v", guard)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e3, "p99-µs")
}

// BenchmarkCrossNodeThroughput measures payloads per second from node A to
// a subscriber on node B, with 16 goroutines publishing 200-byte payloads
// on 16 channels at once.
func BenchmarkCrossNodeThroughput(b *testing.B) {
	const publishers = 16
	pub, sub := benchPair(b)
	var received atomic.Int64
	all := make(chan struct{})
	var closeAll sync.Once
	want := int64(b.N)
	for i := range publishers {
		_, err := sub.Subscribe(benchChannel(i), func([]byte) {
			if received.Add(1) == want {
				closeAll.Do(func() { close(all) })
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	payload := bytes.Repeat([]byte{'x'}, benchPayloadSize)
	ctx := context.Background()
	b.SetBytes(benchPayloadSize)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range publishers {
		n := b.N / publishers
		if i < b.N%publishers {
			n++
		}
		wg.Go(func() {
			for range n {
				if err := pub.Publish(ctx, benchChannel(i), payload); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-all:
	case <-time.After(guard):
		b.Fatalf("%d of %d payloads arrived within %v", received.Load(), b.N, guard)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "payloads/s")
}

// benchChannel names the i-th throughput channel.
func benchChannel(i int) string { return "bench.throughput." + string(rune('a'+i)) }
