package wasmgame

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/tetratelabs/wazero"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/tick"
)

// DefaultPoll is DirOptions.Poll's default.
const DefaultPoll = 2 * time.Second

// DirGame says how a Dir registers the game of one file: under Info, with
// the state and input types it was made with (see Game).
type DirGame struct {
	// Info is the game's registration; an empty Name is the file's NAME.
	Info     tick.GameInfo
	register func(reg *tick.Registry, info tick.GameInfo, p *Plugin)
}

// Game returns the DirGame of a guest whose state and input messages are
// S and I, registered under info: the types a folder's file cannot carry,
// which the program declares for each name it knows.
func Game[S, I proto.Message](info tick.GameInfo) DirGame {
	return DirGame{Info: info, register: Register[S, I]}
}

// DirOptions configure a Dir. Dir, Registry and Games are required.
type DirOptions struct {
	// Dir is the folder of NAME.wasm files.
	Dir string
	// Registry is where each game is registered: the one the Node's rooms
	// use (tickwire.Options.Games), which the lobby reads on every
	// request, so a game registered while the node serves is listed and
	// playable from then on.
	Registry *tick.Registry
	// Games are the games the program knows, by file NAME (arena.wasm is
	// "arena"). Other .wasm files are skipped, with one log line each.
	Games map[string]DirGame
	// Module configures every module loaded. A nil Module.Cache is filled
	// in: a compilation cache in CacheDir, or in memory without it.
	Module Options
	// CacheDir keeps wazero's compiled code across restarts, so that a
	// module loaded before is not compiled again (wazero-version specific;
	// created if missing). Empty: an in-memory cache only.
	CacheDir string
	// Poll is how often the files' modification times and sizes are
	// checked for a new version. 0: DefaultPoll.
	Poll time.Duration
	// Logger gets a line per game loaded, reloaded, skipped or failed,
	// with component "wasmgame". Zero: none.
	Logger zerolog.Logger
}

// Dir is a folder of WASM games kept in step with its files: Run loads
// each NAME.wasm whose NAME is in DirOptions.Games and registers it, then
// watches the folder and reloads a file that changed (Plugin.Reload: new
// rooms start on the new version while rooms running finish on theirs).
// A game stays registered once loaded: a file that is removed, or whose
// new version does not load, leaves the game on the version it had. Its
// methods are safe for concurrent use.
type Dir struct {
	opts  DirOptions
	log   zerolog.Logger
	cache wazero.CompilationCache // ours to close, or nil

	loaded   chan struct{} // closed after Run's first pass
	loadOnce sync.Once

	mu     sync.Mutex
	files  map[string]*dirFile // by NAME
	dirErr string              // the folder's read error last logged
}

// dirFile is what Dir knows of one file.
type dirFile struct {
	stat    fileStat // when last read
	sum     string   // SHA-256 prefix of the bytes last loaded, "" before
	plugin  *Plugin  // nil until the first version loads
	modules []*Module
	err     error // the last load's, nil when it loaded
}

type fileStat struct {
	mod  time.Time
	size int64
}

// OpenDir checks opts and returns a Dir that loads nothing until Run. It
// fails naming every problem: a missing option, a game whose Info does
// not register (its Name taken in Registry, say), a cache folder that
// cannot be made.
func OpenDir(opts DirOptions) (*Dir, error) {
	var errs []string
	if opts.Dir == "" {
		errs = append(errs, "Dir: required")
	}
	if opts.Registry == nil {
		errs = append(errs, "Registry: required")
	}
	if opts.Poll == 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Poll < 0 {
		errs = append(errs, fmt.Sprintf("Poll %v: must not be negative", opts.Poll))
	}
	if _, err := opts.Module.normalize(); err != nil {
		errs = append(errs, err.Error())
	}
	games := make(map[string]DirGame, len(opts.Games))
	names := map[string]string{} // game name → file
	for _, name := range slices.Sorted(maps.Keys(opts.Games)) {
		g := opts.Games[name]
		if g.Info.Name == "" {
			g.Info.Name = name
		}
		if other, dup := names[g.Info.Name]; dup {
			errs = append(errs, fmt.Sprintf("games %s and %s: both named %q", other, name, g.Info.Name))
		}
		names[g.Info.Name] = name
		if opts.Registry != nil {
			if err := checkDirGame(opts.Registry, name, g); err != nil {
				errs = append(errs, err.Error())
			}
		}
		games[name] = g
	}
	opts.Games = games
	if len(errs) > 0 {
		return nil, errors.New("wasmgame dir: " + strings.Join(errs, "; "))
	}
	d := &Dir{
		opts:   opts,
		log:    opts.Logger.With().Str("component", "wasmgame").Str("dir", opts.Dir).Logger(),
		loaded: make(chan struct{}),
		files:  map[string]*dirFile{},
	}
	if d.opts.Module.Cache == nil {
		if opts.CacheDir != "" {
			c, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
			if err != nil {
				return nil, fmt.Errorf("wasmgame dir: CacheDir: %w", err)
			}
			d.cache = c
		} else {
			d.cache = wazero.NewCompilationCache()
		}
		d.opts.Module.Cache = d.cache
	}
	return d, nil
}

// checkDirGame registers g in a scratch registry, so that a bad Info fails
// OpenDir rather than panicking in Run, and checks its name is free.
func checkDirGame(reg *tick.Registry, file string, g DirGame) (err error) {
	if g.register == nil {
		return fmt.Errorf("game %s: make its DirGame with wasmgame.Game", file)
	}
	if _, taken := reg.Lookup(g.Info.Name); taken {
		return fmt.Errorf("game %s: name %q is registered already", file, g.Info.Name)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("game %s: %v", file, v)
		}
	}()
	g.register(tick.NewRegistry(), g.Info, &Plugin{})
	return nil
}

// Loaded is closed once Run has made its first pass over the folder:
// every file there then has loaded (and its game is registered) or failed
// (see Err).
func (d *Dir) Loaded() <-chan struct{} { return d.loaded }

// Plugin returns the Plugin of the game of file NAME, nil before its
// first version loads.
func (d *Dir) Plugin(name string) *Plugin {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f := d.files[name]; f != nil {
		return f.plugin
	}
	return nil
}

// Err returns why the last load of file NAME failed, or nil.
func (d *Dir) Err(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f := d.files[name]; f != nil {
		return f.err
	}
	return nil
}

// Run loads the folder's games, registering each as its first version
// loads, then checks the files every DirOptions.Poll and reloads those
// that changed, until ctx ends. Compiling a Go guest takes seconds (less
// from CacheDir's cache), so run it on a goroutine of its own, such as a
// tickwire.Node task (Node.Go), rather than before the server starts; the
// games appear in the lobby as they load. A folder that cannot be read is
// logged and tried again at the next poll. Call it once.
func (d *Dir) Run(ctx context.Context) {
	defer d.loadOnce.Do(func() { close(d.loaded) })
	d.scan(ctx)
	d.loadOnce.Do(func() { close(d.loaded) })
	t := time.NewTicker(d.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.scan(ctx)
		}
	}
}

// scan loads each known file that is new or changed since it was read.
func (d *Dir) scan(ctx context.Context) {
	entries, err := os.ReadDir(d.opts.Dir)
	if err != nil {
		d.noteDirError(err)
		return
	}
	d.noteDirError(nil)
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".wasm")
		if !ok || e.IsDir() || ctx.Err() != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		st := fileStat{info.ModTime(), info.Size()}
		d.mu.Lock()
		f := d.files[name]
		if f == nil {
			f = &dirFile{}
			d.files[name] = f
		} else if f.stat == st {
			d.mu.Unlock()
			continue
		}
		first := f.stat == fileStat{}
		f.stat = st
		d.mu.Unlock()
		g, known := d.opts.Games[name]
		if !known {
			if first {
				d.log.Info().Str("file", e.Name()).Msg("skipped: the program knows no game of this name")
			}
			continue
		}
		d.load(ctx, name, g, filepath.Join(d.opts.Dir, e.Name()))
	}
}

// load reads and compiles one file, then registers its game (the first
// version) or reloads it (a new one).
func (d *Dir) load(ctx context.Context, name string, g DirGame, path string) {
	b, err := os.ReadFile(path)
	var m *Module
	var took time.Duration
	if err == nil {
		sum := sha256.Sum256(b)
		if d.unchanged(name, hex.EncodeToString(sum[:6])) {
			return // touched, or put back as it was loaded
		}
		start := time.Now()
		m, err = Load(ctx, b, d.opts.Module)
		took = time.Since(start)
	}
	d.mu.Lock()
	f := d.files[name]
	f.err = err
	if err != nil {
		d.mu.Unlock()
		if ctx.Err() == nil {
			d.log.Error().Err(err).Str("file", path).Str("game", g.Info.Name).Msg("wasm game not loaded; the version running, if any, stays")
		}
		return
	}
	f.sum = m.Version()
	f.modules = slices.DeleteFunc(f.modules, released) // replaced, rooms over
	f.modules = append(f.modules, m)
	p := f.plugin
	if p == nil {
		f.plugin = NewPlugin(m)
	}
	d.mu.Unlock()
	if p == nil {
		g.register(d.opts.Registry, g.Info, d.Plugin(name))
		d.log.Info().Str("game", g.Info.Name).Str("file", path).Str("version", m.Version()).Dur("compile", took).Msg("wasm game registered")
		return
	}
	old := p.Module()
	p.Reload(m)
	ev := d.log.Info().Str("game", g.Info.Name).Str("version", m.Version()).Dur("compile", took)
	if old != nil {
		ev = ev.Str("previous", old.Version()).Int("previous_rooms", old.Rooms())
	}
	ev.Msg("wasm game reloaded: new rooms start on the new version")
}

// released reports whether m has been released (closed, rooms over).
func released(m *Module) bool {
	select {
	case <-m.Done():
		return true
	default:
		return false
	}
}

// unchanged reports whether version is the one file NAME last loaded;
// then a failure since (a bad version put back) is forgotten.
func (d *Dir) unchanged(name, version string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.files[name]
	if f == nil || f.sum != version {
		return false
	}
	f.err = nil
	return true
}

// noteDirError logs a new error reading the folder, once.
func (d *Dir) noteDirError(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	d.mu.Lock()
	changed := msg != d.dirErr
	d.dirErr = msg
	d.mu.Unlock()
	if changed && err != nil {
		d.log.Error().Err(err).Msg("cannot read the wasm folder; trying again at the next poll")
	}
}

// Close closes every game's plugin (no new rooms start; rooms running
// keep their modules until they end) and, once every module loaded is
// released, the compilation cache. Call it after Run has returned and the
// rooms have been closed (after Node.Shutdown); ctx bounds the wait for
// rooms still running.
func (d *Dir) Close(ctx context.Context) error {
	d.mu.Lock()
	var modules []*Module
	for _, f := range d.files {
		if f.plugin != nil {
			f.plugin.Close()
		}
		modules = append(modules, f.modules...)
		f.modules = nil
	}
	d.mu.Unlock()
	for _, m := range modules {
		m.Close() // a module replaced by a reload is closed already: no-op
		select {
		case <-m.Done():
		case <-ctx.Done():
			return fmt.Errorf("wasmgame dir: rooms still run on %s: %w", m.Version(), ctx.Err())
		}
	}
	if d.cache != nil {
		return d.cache.Close(context.WithoutCancel(ctx))
	}
	return nil
}
