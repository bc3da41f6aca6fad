//go:build wasip1

package guest

// The host functions (wasmgame/internal/abi names them).

//go:wasmimport tickwire rand_uint64
func hostRand() uint64

//go:wasmimport tickwire end
func hostEnd(reason *byte, n uint32)

//go:wasmimport tickwire kick
func hostKick(p *byte, pn uint32, reason *byte, rn uint32)

//go:wasmimport tickwire refuse
func hostRefuse(p *byte, pn uint32, code int32, reason *byte, rn uint32)

//go:wasmimport tickwire log
func hostLog(level int32, msg *byte, n uint32)
