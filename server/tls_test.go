//go:build !race

// nbio's TLS path (llib's crypto/tls over nbio's buffer pool) hands buffers
// between goroutines in ways the race detector reports inside nbio and
// llib; the test script runs this file without -race (see README).

package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// testCert makes a self-signed certificate for 127.0.0.1 and a pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tickwire test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestTLS(t *testing.T) {
	cert, pool := testCert(t)
	s := start(t, server.Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer httpClient.CloseIdleConnections()

	resp, err := httpClient.Get(servertest.URL(s, false, "/healthz"))
	if err != nil {
		t.Fatalf("https GET /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("https /healthz = %d", resp.StatusCode)
	}

	// wss:// with an independent client: echo over TLS.
	ctx := ctxT(t)
	c, _, err := websocket.Dial(ctx, servertest.URL(s, true, "/echo"), &websocket.DialOptions{HTTPClient: httpClient})
	if err != nil {
		t.Fatalf("wss dial: %v", err)
	}
	defer c.CloseNow()
	msg := make([]byte, 100_000)
	_, _ = rand.Read(msg)
	if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(1 << 20)
	if _, got, err := c.Read(ctx); err != nil || string(got) != string(msg) {
		t.Fatalf("wss echo: %v (got %d bytes)", err, len(got))
	}
	c.Close(websocket.StatusNormalClosure, "")

	// wss:// with our Go client on /ws.
	gc, err := client.Dial(ctx, servertest.URL(s, true, "/ws"), client.Options{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatalf("Go client wss dial: %v", err)
	}
	defer gc.Close(ctx)
	if rtt, err := gc.Ping(ctx); err != nil || rtt <= 0 {
		t.Fatalf("Ping over wss: %v %v", rtt, err)
	}

	// A client that does not trust the certificate is refused by TLS.
	if _, _, err := websocket.Dial(ctx, servertest.URL(s, true, "/echo"), nil); err == nil {
		t.Fatal("dial without the test CA succeeded")
	}
}
