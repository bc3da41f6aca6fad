// Package channel is Tickwire's pub/sub beside the rooms: named channels
// that sessions subscribe to and publish on, with per-channel history for
// late joiners, presence (who is subscribed, joins and leaves), a chat
// channel per room, and bounds on everything (subscriptions per session,
// message size, publish rate, channels per node).
//
// A Hub holds the channels of one node. The server gives it one Session per
// client session (whatever the transport) and calls Session.Subscribe,
// Unsubscribe and Publish for the client's requests; backends publish with
// Hub.Publish (the server's HTTP publish API). A message is encoded once
// as a tickwire.v1 Envelope and the same bytes go to every subscriber, in
// one order per channel, so each subscriber gets each message exactly once
// and every publisher's messages in the order it sent them.
//
// Fan-out between nodes goes through a Bus: the default delivers within
// the process; a cluster Bus (NATS) delivers every event to every node's
// Hub exactly once, and each Hub delivers it to its own subscribers.
package channel
