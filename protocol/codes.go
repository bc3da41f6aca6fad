package protocol

import tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"

// The error codes (Code, tickwire.v1.ErrorCode) under short Go names, in
// the order of the enum; docs/codes.md says what each means.
const (
	CodeUnspecified        = tickwirev1.ErrorCode_ERROR_CODE_UNSPECIFIED
	CodeBadRequest         = tickwirev1.ErrorCode_ERROR_CODE_BAD_REQUEST
	CodeUnsupportedVersion = tickwirev1.ErrorCode_ERROR_CODE_UNSUPPORTED_VERSION
	CodeUnauthenticated    = tickwirev1.ErrorCode_ERROR_CODE_UNAUTHENTICATED
	CodeRoomNotFound       = tickwirev1.ErrorCode_ERROR_CODE_ROOM_NOT_FOUND
	CodeRoomFull           = tickwirev1.ErrorCode_ERROR_CODE_ROOM_FULL
	CodeNotInRoom          = tickwirev1.ErrorCode_ERROR_CODE_NOT_IN_ROOM
	CodeRateLimited        = tickwirev1.ErrorCode_ERROR_CODE_RATE_LIMITED
	CodeSeatInvalid        = tickwirev1.ErrorCode_ERROR_CODE_SEAT_INVALID
	CodeGameRefused        = tickwirev1.ErrorCode_ERROR_CODE_GAME_REFUSED
	CodeRoomFailed         = tickwirev1.ErrorCode_ERROR_CODE_ROOM_FAILED
	CodeGameNotFound       = tickwirev1.ErrorCode_ERROR_CODE_GAME_NOT_FOUND
	CodeShuttingDown       = tickwirev1.ErrorCode_ERROR_CODE_SHUTTING_DOWN
	CodeInternal           = tickwirev1.ErrorCode_ERROR_CODE_INTERNAL
	CodeBadInput           = tickwirev1.ErrorCode_ERROR_CODE_BAD_INPUT
	CodeAlreadyJoined      = tickwirev1.ErrorCode_ERROR_CODE_ALREADY_JOINED
	CodeAlreadyQueued      = tickwirev1.ErrorCode_ERROR_CODE_ALREADY_QUEUED
	CodeAlreadyInRoom      = tickwirev1.ErrorCode_ERROR_CODE_ALREADY_IN_ROOM
	CodeTicketNotFound     = tickwirev1.ErrorCode_ERROR_CODE_TICKET_NOT_FOUND
	CodeTicketDone         = tickwirev1.ErrorCode_ERROR_CODE_TICKET_DONE
	CodeNodeFull           = tickwirev1.ErrorCode_ERROR_CODE_NODE_FULL
	CodeInputRefused       = tickwirev1.ErrorCode_ERROR_CODE_INPUT_REFUSED
	CodeChannelForbidden   = tickwirev1.ErrorCode_ERROR_CODE_CHANNEL_FORBIDDEN
	CodeSubscriptionLimit  = tickwirev1.ErrorCode_ERROR_CODE_SUBSCRIPTION_LIMIT
	CodeMessageTooLarge    = tickwirev1.ErrorCode_ERROR_CODE_MESSAGE_TOO_LARGE
	CodeNotSubscribed      = tickwirev1.ErrorCode_ERROR_CODE_NOT_SUBSCRIBED
	CodeRoomElsewhere      = tickwirev1.ErrorCode_ERROR_CODE_ROOM_ELSEWHERE
)
