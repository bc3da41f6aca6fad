package protocol

// CloseCode is a WebSocket close status code (RFC 6455 section 7.4).
type CloseCode uint16

// The close codes Tickwire sends. 1xxx are RFC 6455's; 4000–4999 are
// Tickwire's own and are listed, with their reasons, in the README.
const (
	CloseNormal          CloseCode = 1000 // the session ended normally
	CloseGoingAway       CloseCode = 1001 // the server is shutting down
	CloseProtocolError   CloseCode = 1002 // an undecodable frame or Envelope
	CloseUnsupportedData CloseCode = 1003 // a text frame on /ws
	CloseInvalidPayload  CloseCode = 1007 // text or a close reason that is not UTF-8, or bad deflate data
	ClosePolicyViolation CloseCode = 1008 // Origin, auth or rate-limit policy
	CloseMessageTooBig   CloseCode = 1009 // a message over the size limit
	CloseInternalError   CloseCode = 1011 // the server failed

	// CloseSlowConsumer: the client did not read fast enough; its outbound
	// queue overflowed or stayed stalled past the deadline.
	CloseSlowConsumer CloseCode = 4001
	// CloseIdleTimeout: no frame (not even a pong) arrived within the
	// keepalive timeout.
	CloseIdleTimeout CloseCode = 4002
	// CloseUnsupportedVersion: Hello asked for a protocol version the server
	// does not speak.
	CloseUnsupportedVersion CloseCode = 4003
	// CloseSessionReplaced: the same player connected again elsewhere.
	CloseSessionReplaced CloseCode = 4004
	// CloseRoomFailed: the session's room ended because its game failed.
	CloseRoomFailed CloseCode = 4005
	// CloseInputFlood: the client kept sending far more than the rate limit.
	CloseInputFlood CloseCode = 4008
)

// CloseCodeInfo describes one close code for documentation and logs.
type CloseCodeInfo struct {
	Code   CloseCode
	Name   string
	Reason string // the reason string sent with the close frame
}

// CloseCodes lists every close code Tickwire sends, in order. The README's
// table is checked against it by a test.
func CloseCodes() []CloseCodeInfo {
	return []CloseCodeInfo{
		{CloseNormal, "normal", "session ended"},
		{CloseGoingAway, "going away", "server shutting down"},
		{CloseProtocolError, "protocol error", "undecodable frame"},
		{CloseUnsupportedData, "unsupported data", "text frames are not accepted on /ws"},
		{CloseInvalidPayload, "invalid payload", "text message is not valid UTF-8"},
		{ClosePolicyViolation, "policy violation", "policy violation"},
		{CloseMessageTooBig, "message too big", "message too large"},
		{CloseInternalError, "internal error", "internal error"},
		{CloseSlowConsumer, "slow consumer", "slow consumer"},
		{CloseIdleTimeout, "idle timeout", "keepalive timeout"},
		{CloseUnsupportedVersion, "unsupported version", "unsupported protocol version"},
		{CloseSessionReplaced, "session replaced", "session replaced by a newer connection"},
		{CloseRoomFailed, "room failed", "room ended: game failed"},
		{CloseInputFlood, "input flood", "input flood"},
	}
}
