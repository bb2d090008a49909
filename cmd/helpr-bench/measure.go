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

// beginMeasure starts the measured period (rates, timeline, server and
// harness CPU).
func (r *runner) beginMeasure() {
	if r.serverPID != 0 {
		if t, err := readCPUTicks(r.serverPID); err == nil {
			r.cpu0 = t
		}
	}
	r.self0 = selfCPU()
	r.m.begin(time.Now())
}

// endMeasure ends the measured period and reads the harness's and the
// server's stats, with held connections open.
func (r *runner) endMeasure(held int) {
	now := time.Now()
	self := selfCPU()
	r.m.finalSample(now)
	r.m.end(now)
	secs, acked := r.m.seconds(), r.m.measured(cAcks)
	r.harness = harnessStats((self - r.self0).Seconds(), secs, acked)
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
	s.CPUSeconds = float64(cpu-r.cpu0) / clockTicks
	if secs > 0 {
		s.CPUPercent = s.CPUSeconds / secs * 100
	}
	s.MicrosPerMsg = microsPer(s.CPUSeconds, acked)
	r.stats = s
}

// harnessStats is cpuSecs of harness CPU over a period of secs in which
// acked messages were acked.
func harnessStats(cpuSecs, secs float64, acked int64) *HarnessStats {
	h := &HarnessStats{CPUSeconds: cpuSecs, MicrosPerMsg: microsPer(cpuSecs, acked)}
	if secs > 0 {
		h.CPUPercent = cpuSecs / secs * 100
	}
	return h
}

// microsPer is CPU µs per message (0 with no message).
func microsPer(cpuSecs float64, msgs int64) float64 {
	if msgs <= 0 {
		return 0
	}
	return cpuSecs * 1e6 / float64(msgs)
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
