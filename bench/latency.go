package main

import (
	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// The run clock, the latency histograms and the CO-corrected input
// accounting live in internal/loadstat, shared with the public load-test
// harness (loadtest/); these names keep the bench's code short.
type (
	// clock is the run's time base (loadstat.Clock).
	clock = loadstat.Clock
	// recorder collects durations into histograms (loadstat.Recorder).
	recorder = loadstat.Recorder
	// inputTrack is one client's CO-corrected input account
	// (loadstat.InputTrack).
	inputTrack = loadstat.InputTrack
	// Percentiles summarises a latency histogram in milliseconds.
	Percentiles = loadstat.Percentiles
)

func newClock() clock                                     { return loadstat.NewClock() }
func newHist() *hdrhistogram.Histogram                    { return loadstat.NewHist() }
func newRecorder() *recorder                              { return loadstat.NewRecorder() }
func recordNS(h *hdrhistogram.Histogram, ns int64)        { loadstat.RecordNS(h, ns) }
func percentilesOf(h *hdrhistogram.Histogram) Percentiles { return loadstat.PercentilesOf(h) }
func round3(v float64) float64                            { return loadstat.Round3(v) }
