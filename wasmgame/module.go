package wasmgame

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/tickwire/tickwire/wasmgame/internal/abi"
)

// Defaults of Options.
const (
	// DefaultMemoryLimitPages caps a room's memory at 64 MiB (a Go guest's
	// runtime starts at a few MiB).
	DefaultMemoryLimitPages = 1024
	// DefaultCallTimeout bounds a call into a guest: far more than a tick
	// needs (the arena's takes under a millisecond), because a call also
	// waits out the host's stalls (a loaded machine, a garbage collection
	// waiting on other rooms' guest code, which Go cannot preempt): 100 ms
	// failed healthy rooms on the loaded 2-core test machine (docs/wasm.md).
	DefaultCallTimeout = time.Second
	// DefaultStartTimeout bounds a room's start: instantiation, the Go
	// runtime's initialisation and the game's Init.
	DefaultStartTimeout = 10 * time.Second
)

// Options configure a Module. The zero value works: every room gets
// DefaultMemoryLimitPages, DefaultCallTimeout, no filesystem and wazero's
// compiler where the platform has one.
type Options struct {
	// MemoryLimitPages caps each room's linear memory, in 64 KiB pages;
	// growing past it fails in the guest (a Go guest's runtime then exits,
	// and the room fails with ErrMemoryLimit). 0: DefaultMemoryLimitPages.
	// At most 65536 (4 GiB).
	MemoryLimitPages uint32
	// CallTimeout bounds every call into a room's guest (one per tick,
	// one per join or leave); a call past it is stopped and the room fails
	// with ErrCallTimeout. 0: DefaultCallTimeout.
	CallTimeout time.Duration
	// StartTimeout bounds a room's start (instantiation, the guest
	// runtime's start-up, Init, Restore). 0: DefaultStartTimeout.
	StartTimeout time.Duration
	// FS, when set, is mounted read-only at "/" for every room's guest.
	// nil (the default): the guest has no filesystem; opening a file
	// fails. There is no network in any case: WASI preview 1 has no
	// sockets but preopened ones, and none is given.
	FS fs.FS
	// Interpreter runs guests in wazero's interpreter instead of its
	// compiler: slower, for platforms without the compiler and for
	// comparison.
	Interpreter bool
	// Cache, when set, shares compiled code between Modules (and across
	// processes with wazero.NewCompilationCacheWithDir): loading the same
	// bytes again skips compilation. nil: no cache.
	Cache wazero.CompilationCache

	// noDeadlines turns wazero's termination checks off (and with them
	// CallTimeout): only for measuring what the checks cost.
	noDeadlines bool
}

func (o Options) normalize() (Options, error) {
	var errs []string
	if o.MemoryLimitPages == 0 {
		o.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if o.MemoryLimitPages > 65536 {
		errs = append(errs, fmt.Sprintf("MemoryLimitPages %d: at most 65536", o.MemoryLimitPages))
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.CallTimeout < 0 {
		errs = append(errs, fmt.Sprintf("CallTimeout %v: must not be negative", o.CallTimeout))
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.StartTimeout < 0 {
		errs = append(errs, fmt.Sprintf("StartTimeout %v: must not be negative", o.StartTimeout))
	}
	if len(errs) > 0 {
		return o, errors.New("wasmgame options: " + strings.Join(errs, "; "))
	}
	return o, nil
}

// Module is one compiled version of a guest, with its own wazero runtime
// and limits; each room runs in a fresh instance of it. Close releases it
// once its last room has ended. It is safe for concurrent use.
type Module struct {
	opts     Options
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	version  string

	mu      sync.Mutex
	rooms   map[*instance]struct{}
	closing bool
	once    sync.Once
	closed  chan struct{} // closed once the runtime is
}

// LoadFile is Load of the file at path.
func LoadFile(ctx context.Context, path string, opts Options) (*Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load wasm game: %w", err)
	}
	m, err := Load(ctx, b, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return m, nil
}

// Load compiles wasm, a guest built with wasmgame/guest (a WASI preview 1
// reactor), and checks that it speaks this host's ABI. Compiling a Go
// guest takes a second or more; ctx bounds it.
func Load(ctx context.Context, wasm []byte, opts Options) (*Module, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	cfg := wazero.NewRuntimeConfig()
	if opts.Interpreter {
		cfg = wazero.NewRuntimeConfigInterpreter()
	}
	cfg = cfg.WithMemoryLimitPages(opts.MemoryLimitPages).WithCloseOnContextDone(!opts.noDeadlines)
	if opts.Cache != nil {
		cfg = cfg.WithCompilationCache(opts.Cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	m, err := load(ctx, rt, wasm, opts)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	return m, nil
}

func load(ctx context.Context, rt wazero.Runtime, wasm []byte, opts Options) (*Module, error) {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return nil, fmt.Errorf("wasi: %w", err)
	}
	if err := instantiateHost(ctx, rt); err != nil {
		return nil, fmt.Errorf("host functions: %w", err)
	}
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	exports := compiled.ExportedFunctions()
	if _, ok := exports[abi.ExportVersion]; !ok {
		return nil, fmt.Errorf("not a Tickwire guest of ABI v1 (no %s export): build it with wasmgame/guest and -buildmode=c-shared", abi.ExportVersion)
	}
	for _, name := range []string{abi.ExportBuffer, abi.ExportInit, abi.ExportRestore, abi.ExportJoin, abi.ExportLeave, abi.ExportInputs, abi.ExportTick, abi.ExportError} {
		if _, ok := exports[name]; !ok {
			return nil, fmt.Errorf("guest exports no %s", name)
		}
	}
	if _, ok := exports["_initialize"]; !ok {
		return nil, errors.New("guest is not a WASI reactor (no _initialize export): build it with -buildmode=c-shared")
	}
	if _, ok := compiled.ExportedMemories()["memory"]; !ok {
		return nil, errors.New("guest exports no memory")
	}
	for _, f := range compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod != wasi_snapshot_preview1.ModuleName && mod != abi.HostModule {
			return nil, fmt.Errorf("guest imports %s.%s: only %s and %s are provided", mod, name, wasi_snapshot_preview1.ModuleName, abi.HostModule)
		}
	}
	sum := sha256.Sum256(wasm)
	return &Module{
		opts:     opts,
		rt:       rt,
		compiled: compiled,
		version:  hex.EncodeToString(sum[:6]),
		rooms:    map[*instance]struct{}{},
		closed:   make(chan struct{}),
	}, nil
}

// Version names the module's bytes: the first 12 hex digits of their
// SHA-256, for logs and for telling reloaded versions apart.
func (m *Module) Version() string { return m.version }

// Rooms returns the number of rooms running on the module.
func (m *Module) Rooms() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms)
}

// MemoryBytes returns the linear memory its rooms' instances hold, in
// total: the guest's own heap and stacks (wazero's compiled code is shared
// and not counted).
func (m *Module) MemoryBytes() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n uint64
	for in := range m.rooms {
		n += uint64(in.memorySize.Load())
	}
	return n
}

// Close stops the module from starting rooms and releases it, compiled
// code and all, once its last room has ended (at once when it has none).
// Rooms running on it carry on until they end. Done reports the release.
func (m *Module) Close() {
	m.mu.Lock()
	m.closing = true
	release := len(m.rooms) == 0
	m.mu.Unlock()
	if release {
		m.release()
	}
}

// Done is closed once the module is released: closed and without rooms.
func (m *Module) Done() <-chan struct{} { return m.closed }

func (m *Module) release() {
	m.once.Do(func() {
		_ = m.rt.Close(context.Background())
		close(m.closed)
	})
}

// acquire counts a new room on the module, unless it is closing.
func (m *Module) acquire(in *instance) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return false
	}
	m.rooms[in] = struct{}{}
	return true
}

// forget is the end of a room; the last room of a closing module releases
// it.
func (m *Module) forget(in *instance) {
	m.mu.Lock()
	delete(m.rooms, in)
	release := m.closing && len(m.rooms) == 0
	m.mu.Unlock()
	if release {
		m.release()
	}
}
