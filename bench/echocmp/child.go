package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	cws "github.com/coder/websocket"
	gws "github.com/gorilla/websocket"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	nbws "github.com/lesismal/nbio/nbhttp/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/gateway"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tick"
)

// serveFlag is the hidden first argument that turns the program into a
// server under test. It is not registered with the flag package, so -help
// does not list it.
const serveFlag = "-serve"

// Server kinds the child can run.
const (
	kindTickwireNonBlocking = "tickwire-nonblocking"
	kindTickwireLobby       = "tickwire-lobby"
	kindCoder               = "coder"
	kindGorilla             = "gorilla"
	kindNBIOBare            = "nbio-bare"
	kindNBIOBareInline      = "nbio-bare-inline"
)

var serverKinds = []string{kindTickwireNonBlocking, kindTickwireLobby, kindCoder, kindGorilla, kindNBIOBare, kindNBIOBareInline}

func isTickwire(kind string) bool { return strings.HasPrefix(kind, "tickwire-") }

// childStats is what the child reports about its Go runtime on "stats".
type childStats struct {
	HeapAlloc   uint64 `json:"heap_alloc"`
	HeapInuse   uint64 `json:"heap_inuse"`
	HeapSys     uint64 `json:"heap_sys"`
	HeapObjects uint64 `json:"heap_objects"`
	StackInuse  uint64 `json:"stack_inuse"`
	Sys         uint64 `json:"sys"`
	Goroutines  int    `json:"goroutines"`
	NumGC       uint32 `json:"num_gc"`
}

// runChild is the server process: it starts one server on 127.0.0.1:0,
// prints "READY <addr>" and then obeys one command per stdin line until
// "quit" or end of input (the parent's death closes stdin, and Pdeathsig
// backs that up):
//
//	gc                 runtime.GC + debug.FreeOSMemory, answers "OK"
//	stats              answers "STATS <json childStats>"
//	cpuprof-start F    starts a CPU profile into file F, answers "OK"
//	cpuprof-stop       stops it, answers "OK"
//	heapprof F         writes a heap profile (after a GC) to F, answers "OK"
//	quit               exits
func runChild(args []string) error {
	fs := flag.NewFlagSet("echocmp child", flag.ContinueOnError)
	kind := fs.String("serve", "", "server kind")
	pollers := fs.Int("pollers", 0, "nbio pollers (0: default)")
	memRate := fs.Int("memprofilerate", 0, "runtime.MemProfileRate (0: Go's default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}
	// nbio logs to stdout by default; stdout carries the command replies.
	logging.Output = os.Stderr
	logging.SetLevel(logging.LevelError)
	var (
		addr string
		err  error
	)
	switch *kind {
	case kindTickwireNonBlocking:
		addr, err = startTickwire(strings.TrimPrefix(*kind, "tickwire-"), *pollers, false)
	case kindTickwireLobby:
		addr, err = startTickwire(server.IOModeNonBlocking, *pollers, true)
	case kindCoder:
		addr, err = startCoder()
	case kindGorilla:
		addr, err = startGorilla()
	case kindNBIOBare, kindNBIOBareInline:
		addr, err = startNBIOBare(*pollers, *kind == kindNBIOBareInline)
	default:
		err = fmt.Errorf("unknown server kind %q (want one of %s)", *kind, strings.Join(serverKinds, ", "))
	}
	if err != nil {
		return err
	}
	fmt.Printf("READY %s\n", addr)
	return childCommands(os.Stdin, os.Stdout)
}

func childCommands(in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	var cpuFile *os.File
	reply := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch cmd {
		case "gc":
			runtime.GC()
			debug.FreeOSMemory()
			reply("OK")
		case "stats":
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b, _ := json.Marshal(childStats{
				HeapAlloc: ms.HeapAlloc, HeapInuse: ms.HeapInuse, HeapSys: ms.HeapSys, HeapObjects: ms.HeapObjects,
				StackInuse: ms.StackInuse, Sys: ms.Sys, Goroutines: runtime.NumGoroutine(), NumGC: ms.NumGC,
			})
			reply("STATS %s", b)
		case "cpuprof-start":
			f, err := os.Create(arg)
			if err == nil {
				if err = pprof.StartCPUProfile(f); err != nil {
					_ = f.Close()
				}
			}
			if err != nil {
				reply("ERR %v", err)
				continue
			}
			cpuFile = f
			reply("OK")
		case "cpuprof-stop":
			if cpuFile != nil {
				pprof.StopCPUProfile()
				_ = cpuFile.Close()
				cpuFile = nil
			}
			reply("OK")
		case "heapprof":
			runtime.GC()
			f, err := os.Create(arg)
			if err == nil {
				err = errors.Join(pprof.Lookup("heap").WriteTo(f, 0), f.Close())
			}
			if err != nil {
				reply("ERR %v", err)
				continue
			}
			reply("OK")
		case "quit":
			return nil
		default:
			reply("ERR unknown command %q", cmd)
		}
	}
	return sc.Err()
}

// startTickwire runs Tickwire's real server with its defaults, only the IO
// mode and poller count changed; withLobby wires a lobby and a tick
// runtime as the demo does, so that every /ws session is also a lobby
// guest.
func startTickwire(mode string, pollers int, withLobby bool) (string, error) {
	server.QuietNBIO()
	opts := server.Options{Addr: "127.0.0.1:0", IOMode: mode, Pollers: pollers, Registry: prometheus.NewRegistry()}
	if withLobby {
		var lob *lobby.Lobby
		rooms, err := tick.NewRooms(tick.Options{
			Registerer: opts.Registry,
			NodeID:     "echocmp",
			OnUnseat:   func(room string, p tick.PlayerID) { _ = lob.Release(string(p), room) },
		})
		if err != nil {
			return "", err
		}
		if lob, err = lobby.New(lobby.Options{Rooms: rooms, Node: "echocmp", Registerer: opts.Registry}); err != nil {
			return "", err
		}
		opts.Lobby, opts.Authenticate = gateway.Lobby(lob), lob.Authenticate
		opts.Rooms = &gateway.TickRooms{Rooms: rooms, Lobby: lob}
	}
	s, err := server.New(opts)
	if err != nil {
		return "", err
	}
	if err := s.Start(); err != nil {
		return "", err
	}
	return s.Addr(), nil
}

// startCoder runs the baseline: net/http with one goroutine per connection
// and coder/websocket, echoing every message on /echo the idiomatic way
// (Read, then Write). It agrees to the first offered subprotocol, as
// Tickwire's /echo does.
func startCoder() (string, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		opts := &cws.AcceptOptions{CompressionMode: cws.CompressionDisabled}
		if p := r.Header.Get("Sec-WebSocket-Protocol"); p != "" {
			first, _, _ := strings.Cut(p, ",")
			opts.Subprotocols = []string{strings.TrimSpace(first)}
		}
		c, err := cws.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		ctx := context.Background()
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, b); err != nil {
				return
			}
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return ln.Addr().String(), nil
}

// startGorilla is the second baseline: net/http with one goroutine per
// connection and gorilla/websocket with its default buffers, echoing with
// ReadMessage and WriteMessage.
func startGorilla() (string, error) {
	up := gws.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		var h http.Header
		if p := r.Header.Get("Sec-WebSocket-Protocol"); p != "" {
			first, _, _ := strings.Cut(p, ",")
			h = http.Header{"Sec-Websocket-Protocol": {strings.TrimSpace(first)}}
		}
		c, err := up.Upgrade(w, r, h)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetReadLimit(1 << 20)
		for {
			mt, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(mt, b); err != nil {
				return
			}
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return ln.Addr().String(), nil
}

// startNBIOBare runs a bare nbio echo server (no sessions, metrics or
// flow control) with nbio's defaults, or with handlers run inline on the
// poller goroutine instead of nbio's goroutine-per-task pool. It separates
// what nbio itself costs from what Tickwire adds on top.
func startNBIOBare(pollers int, inline bool) (string, error) {
	u := nbws.NewUpgrader()
	u.CheckOrigin = func(*http.Request) bool { return true }
	u.OnMessage(func(c *nbws.Conn, mt nbws.MessageType, data []byte) { _ = c.WriteMessage(mt, data) })
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		h := http.Header{}
		if p := r.Header.Get("Sec-WebSocket-Protocol"); p != "" {
			first, _, _ := strings.Cut(p, ",")
			h.Set("Sec-WebSocket-Protocol", strings.TrimSpace(first))
		}
		_, _ = u.Upgrade(w, r, h)
	})
	if pollers <= 0 {
		pollers = runtime.GOMAXPROCS(0)
	}
	var addr string
	conf := nbhttp.Config{
		Name:                    "echocmp-bare",
		Addrs:                   []string{"127.0.0.1:0"},
		Handler:                 mux,
		NPoller:                 pollers,
		ReleaseWebsocketPayload: true,
		Listen: func(network, a string) (net.Listener, error) {
			ln, err := net.Listen(network, a)
			if err == nil {
				addr = ln.Addr().String()
			}
			return ln, err
		},
	}
	if inline {
		conf.ServerExecutor = func(f func()) { f() }
	}
	e := nbhttp.NewEngine(conf)
	u.Engine = e
	if err := e.Start(); err != nil {
		return "", err
	}
	return addr, nil
}
