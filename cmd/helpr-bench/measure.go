package main

import "time"

// baseline reads the server's RSS before the run opens connections.
func (r *runner) baseline() {
	if r.serverPID == 0 {
		return
	}
	rss, err := readRSS(r.serverPID)
	if err != nil {
		r.v.fail("server_stats", err.Error())
		return
	}
	r.rss0 = rss
}

// beginMeasure starts the measured period (rates, timeline, server CPU).
func (r *runner) beginMeasure() {
	if r.serverPID != 0 {
		if t, err := readCPUTicks(r.serverPID); err == nil {
			r.cpu0 = t
		}
	}
	r.m.begin(time.Now())
}

// endMeasure ends the measured period and reads the server's stats, with
// held connections open.
func (r *runner) endMeasure(held int) {
	now := time.Now()
	r.m.finalSample(now)
	r.m.end(now)
	if r.serverPID == 0 {
		return
	}
	rss, err := readRSS(r.serverPID)
	if err != nil {
		r.v.fail("server_stats", err.Error())
		return
	}
	cpu, err := readCPUTicks(r.serverPID)
	if err != nil {
		r.v.fail("server_stats", err.Error())
		return
	}
	s := &ServerStats{RSSBytes: rss}
	if held > 0 && r.rss0 > 0 {
		s.BytesPerConn = float64(rss-r.rss0) / float64(held)
	}
	if secs := r.m.seconds(); secs > 0 {
		s.CPUPercent = float64(cpu-r.cpu0) / clockTicks / secs * 100
	}
	r.stats = s
}

// openPeers counts connections still open.
func (r *runner) openPeers() int {
	n := 0
	for _, p := range r.allPeers() {
		select {
		case <-p.done:
		default:
			n++
		}
	}
	return n
}
