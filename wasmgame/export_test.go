package wasmgame

// WithoutDeadlines returns o with wazero's termination checks off, for the
// benchmark that measures what they cost.
func WithoutDeadlines(o Options) Options {
	o.noDeadlines = true
	return o
}
