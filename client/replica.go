package client

import (
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/protocol"
)

// The replicas live in protocol, beside the delta codec, so that game tests
// and tools use them without the network client; these names stay for the
// Go client's users.

// ErrNoSnapshot is protocol.ErrNoSnapshot.
var ErrNoSnapshot = protocol.ErrNoSnapshot

// Replica is protocol.Replica: one room's state rebuilt from its frames.
type Replica[S proto.Message] = protocol.Replica[S]

// Topics is protocol.Topics: one Replica per topic of a topic game.
type Topics[S proto.Message] = protocol.Topics[S]

// NewReplica is protocol.NewReplica.
func NewReplica[S proto.Message](roomID string) *Replica[S] { return protocol.NewReplica[S](roomID) }

// NewTopics is protocol.NewTopics.
func NewTopics[S proto.Message](roomID string) *Topics[S] { return protocol.NewTopics[S](roomID) }
