// The Tickwire wire protocol, version 1 (WebSocket subprotocol "tickwire.v1").
//
// Every binary WebSocket frame on /ws carries exactly one Envelope. Client and
// server messages share one oneof so that a single decoder serves both sides.
import { enumDesc, fileDesc, messageDesc } from "@bufbuild/protobuf/codegenv2";
/**
 * Describes the file tickwire/v1/tickwire.proto.
 */
export const file_tickwire_v1_tickwire = /*@__PURE__*/ fileDesc("Chp0aWNrd2lyZS92MS90aWNrd2lyZS5wcm90bxILdGlja3dpcmUudjEixAYKCEVudmVsb3BlEgsKA3JlZhgBIAEoDRIjCgVoZWxsbxgKIAEoCzISLnRpY2t3aXJlLnYxLkhlbGxvSAASKgoJam9pbl9yb29tGAsgASgLMhUudGlja3dpcmUudjEuSm9pblJvb21IABIsCgpsZWF2ZV9yb29tGAwgASgLMhYudGlja3dpcmUudjEuTGVhdmVSb29tSAASIwoFaW5wdXQYDSABKAsyEi50aWNrd2lyZS52MS5JbnB1dEgAEiEKBHBpbmcYDiABKAsyES50aWNrd2lyZS52MS5QaW5nSAASKgoFbG9iYnkYDyABKAsyGS50aWNrd2lyZS52MS5Mb2JieVJlcXVlc3RIABIrCglzdWJzY3JpYmUYECABKAsyFi50aWNrd2lyZS52MS5TdWJzY3JpYmVIABIvCgt1bnN1YnNjcmliZRgRIAEoCzIYLnRpY2t3aXJlLnYxLlVuc3Vic2NyaWJlSAASJwoHcHVibGlzaBgSIAEoCzIULnRpY2t3aXJlLnYxLlB1Ymxpc2hIABInCgd3ZWxjb21lGB4gASgLMhQudGlja3dpcmUudjEuV2VsY29tZUgAEiUKBmpvaW5lZBgfIAEoCzITLnRpY2t3aXJlLnYxLkpvaW5lZEgAEiEKBGxlZnQYICABKAsyES50aWNrd2lyZS52MS5MZWZ0SAASKAoFc3RhdGUYISABKAsyFy50aWNrd2lyZS52MS5TdGF0ZUZyYW1lSAASIQoEcG9uZxgiIAEoCzIRLnRpY2t3aXJlLnYxLlBvbmdIABIjCgVlcnJvchgjIAEoCzISLnRpY2t3aXJlLnYxLkVycm9ySAASLgoLbG9iYnlfcmVwbHkYJCABKAsyFy50aWNrd2lyZS52MS5Mb2JieVJlcGx5SAASMgoNY2hhbm5lbF9yZXBseRglIAEoCzIZLnRpY2t3aXJlLnYxLkNoYW5uZWxSZXBseUgAEjYKD2NoYW5uZWxfbWVzc2FnZRgmIAEoCzIbLnRpY2t3aXJlLnYxLkNoYW5uZWxNZXNzYWdlSAASKQoIcHJlc2VuY2UYJyABKAsyFS50aWNrd2lyZS52MS5QcmVzZW5jZUgAQgUKA21zZyJACgVIZWxsbxIYChBwcm90b2NvbF92ZXJzaW9uGAEgASgNEg4KBmNsaWVudBgCIAEoCRINCgV0b2tlbhgDIAEoCSKQAQoHV2VsY29tZRIYChBwcm90b2NvbF92ZXJzaW9uGAEgASgNEh0KFXNlcnZlcl90aW1lX3VuaXhfbmFubxgCIAEoAxISCgpzZXNzaW9uX2lkGAMgASgJEhEKCXBsYXllcl9pZBgEIAEoCRINCgV0b2tlbhgFIAEoCRIWCg5zZXJ2ZXJfdmVyc2lvbhgGIAEoCSJHCghKb2luUm9vbRIPCgdyb29tX2lkGAEgASgJEgwKBHNlYXQYAiABKAkSDAoEZ2FtZRgDIAEoCRIOCgZjcmVhdGUYBCABKAgiHAoJTGVhdmVSb29tEg8KB3Jvb21faWQYASABKAkicwoGSm9pbmVkEg8KB3Jvb21faWQYASABKAkSDAoEZ2FtZRgCIAEoCRIRCglwbGF5ZXJfaWQYAyABKAkSDwoHdGlja19oehgEIAEoDRISCgpzdGF0ZV90eXBlGAUgASgJEhIKCmlucHV0X3R5cGUYBiABKAkiTQoETGVmdBIPCgdyb29tX2lkGAEgASgJEiQKBGNvZGUYAiABKA4yFi50aWNrd2lyZS52MS5FcnJvckNvZGUSDgoGcmVhc29uGAMgASgJIjYKBUlucHV0Eg8KB3Jvb21faWQYASABKAkSCwoDc2VxGAIgASgEEg8KB3BheWxvYWQYAyABKAwiyAEKClN0YXRlRnJhbWUSDwoHcm9vbV9pZBgBIAEoCRIMCgR0aWNrGAIgASgEEhYKDmxhc3RfaW5wdXRfc2VxGAMgASgEEh0KFXNlcnZlcl90aW1lX3VuaXhfbmFubxgEIAEoAxINCgV0b3BpYxgFIAEoCRIUCgx1bnN1YnNjcmliZWQYBiABKAgSEgoIc25hcHNob3QYCiABKAxIABIjCgVkZWx0YRgLIAEoCzISLnRpY2t3aXJlLnYxLkRlbHRhSABCBgoEYm9keSI+CgVEZWx0YRINCgVwYXRjaBgBIAEoDBImCgZjbGVhcnMYAiADKAsyFi50aWNrd2lyZS52MS5GaWVsZFBhdGgiMQoJRmllbGRQYXRoEiQKBXN0ZXBzGAEgAygLMhUudGlja3dpcmUudjEuUGF0aFN0ZXAicQoIUGF0aFN0ZXASDQoFZmllbGQYASABKA0SEgoIYm9vbF9rZXkYAiABKAhIABIRCgdpbnRfa2V5GAMgASgDSAASEgoIdWludF9rZXkYBCABKARIABIUCgpzdHJpbmdfa2V5GAUgASgJSABCBQoDa2V5IqsCCgxMb2JieVJlcXVlc3QSLAoKbGlzdF9nYW1lcxgBIAEoCzIWLnRpY2t3aXJlLnYxLkxpc3RHYW1lc0gAEiwKCmxpc3Rfcm9vbXMYAiABKAsyFi50aWNrd2lyZS52MS5MaXN0Um9vbXNIABIuCgtjcmVhdGVfcm9vbRgDIAEoCzIXLnRpY2t3aXJlLnYxLkNyZWF0ZVJvb21IABImCgRqb2luGAQgASgLMhYudGlja3dpcmUudjEuTG9iYnlKb2luSAASMgoNY3JlYXRlX3RpY2tldBgFIAEoCzIZLnRpY2t3aXJlLnYxLkNyZWF0ZVRpY2tldEgAEhQKCmdldF90aWNrZXQYBiABKAlIABIXCg1jYW5jZWxfdGlja2V0GAcgASgJSABCBAoCb3AiCwoJTGlzdEdhbWVzIhkKCUxpc3RSb29tcxIMCgRnYW1lGAEgASgJIkAKCkNyZWF0ZVJvb20SDAoEZ2FtZRgBIAEoCRIPCgdwcml2YXRlGAIgASgIEhMKC21heF9wbGF5ZXJzGAMgASgNIkwKCUxvYmJ5Sm9pbhIPCgdyb29tX2lkGAEgASgJEhEKCWpvaW5fY29kZRgCIAEoCRIMCgRnYW1lGAMgASgJEg0KBXF1aWNrGAQgASgIIlgKDENyZWF0ZVRpY2tldBIMCgRnYW1lGAEgASgJEg0KBXNraWxsGAIgASgBEg0KBXBhcnR5GAMgAygJEg4KBnJlZ2lvbhgEIAEoCRIMCgRtb2RlGAUgASgJIrYBCgpMb2JieVJlcGx5EiQKBWdhbWVzGAEgAygLMhUudGlja3dpcmUudjEuR2FtZUluZm8SJwoFcm9vbXMYAiADKAsyGC50aWNrd2lyZS52MS5Sb29tTGlzdGluZxIhCgVncmFudBgDIAEoCzISLnRpY2t3aXJlLnYxLkdyYW50EhEKCXRpY2tldF9pZBgEIAEoCRIjCgZ0aWNrZXQYBSABKAsyEy50aWNrd2lyZS52MS5UaWNrZXQiUwoIR2FtZUluZm8SDAoEbmFtZRgBIAEoCRITCgttaW5fcGxheWVycxgCIAEoDRITCgttYXhfcGxheWVycxgDIAEoDRIPCgd0aWNrX2h6GAQgASgNInAKC1Jvb21MaXN0aW5nEgoKAmlkGAEgASgJEgwKBGdhbWUYAiABKAkSDwoHcGxheWVycxgDIAEoDRITCgttYXhfcGxheWVycxgEIAEoDRIPCgdwcml2YXRlGAUgASgIEhAKCGpvaW5hYmxlGAYgASgIIkYKBUdyYW50Eg8KB3Jvb21faWQYASABKAkSEQoJam9pbl9jb2RlGAIgASgJEgwKBHNlYXQYAyABKAkSCwoDdXJsGAQgASgJImUKBlRpY2tldBIRCgl0aWNrZXRfaWQYASABKAkSDAoEZ2FtZRgCIAEoCRIOCgZzdGF0dXMYAyABKAkSDwoHcm9vbV9pZBgEIAEoCRIMCgRzZWF0GAUgASgJEgsKA3VybBgGIAEoCSIqCglTdWJzY3JpYmUSDwoHY2hhbm5lbBgBIAEoCRIMCgRuYW1lGAIgASgJIh4KC1Vuc3Vic2NyaWJlEg8KB2NoYW5uZWwYASABKAkiKAoHUHVibGlzaBIPCgdjaGFubmVsGAEgASgJEgwKBGRhdGEYAiABKAwixAEKDENoYW5uZWxSZXBseRIPCgdjaGFubmVsGAEgASgJEiwKB21lbWJlcnMYAiADKAsyGy50aWNrd2lyZS52MS5QcmVzZW5jZU1lbWJlchIPCgdoaXN0b3J5GAMgASgNEg0KBWVwb2NoGAQgASgEEhAKCGxhc3Rfc2VxGAUgASgEEg0KBWVuZGVkGAYgASgIEiQKBGNvZGUYByABKA4yFi50aWNrd2lyZS52MS5FcnJvckNvZGUSDgoGcmVhc29uGAggASgJImkKDkNoYW5uZWxNZXNzYWdlEg8KB2NoYW5uZWwYASABKAkSCwoDc2VxGAIgASgEEgwKBGZyb20YAyABKAkSDAoEZGF0YRgEIAEoDBIdChVzZXJ2ZXJfdGltZV91bml4X25hbm8YBSABKAMiVgoIUHJlc2VuY2USDwoHY2hhbm5lbBgBIAEoCRIrCgZtZW1iZXIYAiABKAsyGy50aWNrd2lyZS52MS5QcmVzZW5jZU1lbWJlchIMCgRsZWZ0GAMgASgIIjEKDlByZXNlbmNlTWVtYmVyEhEKCXBsYXllcl9pZBgBIAEoCRIMCgRuYW1lGAIgASgJIiUKBFBpbmcSHQoVY2xpZW50X3RpbWVfdW5peF9uYW5vGAEgASgDIkQKBFBvbmcSHQoVY2xpZW50X3RpbWVfdW5peF9uYW5vGAEgASgDEh0KFXNlcnZlcl90aW1lX3VuaXhfbmFubxgCIAEoAyJvCgVFcnJvchIkCgRjb2RlGAEgASgOMhYudGlja3dpcmUudjEuRXJyb3JDb2RlEg8KB21lc3NhZ2UYAiABKAkSDwoHcm9vbV9pZBgDIAEoCRIRCglpbnB1dF9zZXEYBCABKAQSCwoDdXJsGAUgASgJKrcGCglFcnJvckNvZGUSGgoWRVJST1JfQ09ERV9VTlNQRUNJRklFRBAAEhoKFkVSUk9SX0NPREVfQkFEX1JFUVVFU1QQARIiCh5FUlJPUl9DT0RFX1VOU1VQUE9SVEVEX1ZFUlNJT04QAhIeChpFUlJPUl9DT0RFX1VOQVVUSEVOVElDQVRFRBADEh0KGUVSUk9SX0NPREVfUk9PTV9OT1RfRk9VTkQQBBIYChRFUlJPUl9DT0RFX1JPT01fRlVMTBAFEhoKFkVSUk9SX0NPREVfTk9UX0lOX1JPT00QBhIbChdFUlJPUl9DT0RFX1JBVEVfTElNSVRFRBAHEhsKF0VSUk9SX0NPREVfU0VBVF9JTlZBTElEEAgSGwoXRVJST1JfQ09ERV9HQU1FX1JFRlVTRUQQCRIaChZFUlJPUl9DT0RFX1JPT01fRkFJTEVEEAoSHQoZRVJST1JfQ09ERV9HQU1FX05PVF9GT1VORBALEhwKGEVSUk9SX0NPREVfU0hVVFRJTkdfRE9XThAMEhcKE0VSUk9SX0NPREVfSU5URVJOQUwQDRIYChRFUlJPUl9DT0RFX0JBRF9JTlBVVBAOEh0KGUVSUk9SX0NPREVfQUxSRUFEWV9KT0lORUQQDxIdChlFUlJPUl9DT0RFX0FMUkVBRFlfUVVFVUVEEBASHgoaRVJST1JfQ09ERV9BTFJFQURZX0lOX1JPT00QERIfChtFUlJPUl9DT0RFX1RJQ0tFVF9OT1RfRk9VTkQQEhIaChZFUlJPUl9DT0RFX1RJQ0tFVF9ET05FEBMSGAoURVJST1JfQ09ERV9OT0RFX0ZVTEwQFBIcChhFUlJPUl9DT0RFX0lOUFVUX1JFRlVTRUQQFRIgChxFUlJPUl9DT0RFX0NIQU5ORUxfRk9SQklEREVOEBYSIQodRVJST1JfQ09ERV9TVUJTQ1JJUFRJT05fTElNSVQQFxIgChxFUlJPUl9DT0RFX01FU1NBR0VfVE9PX0xBUkdFEBgSHQoZRVJST1JfQ09ERV9OT1RfU1VCU0NSSUJFRBAZEh0KGUVSUk9SX0NPREVfUk9PTV9FTFNFV0hFUkUQGkI7WjlnaXRodWIuY29tL3RpY2t3aXJlL3RpY2t3aXJlL3Byb3RvL3RpY2t3aXJlL3YxO3RpY2t3aXJldjFiBnByb3RvMw");
/**
 * Describes the message tickwire.v1.Envelope.
 * Use `create(EnvelopeSchema)` to create a new message.
 */
export const EnvelopeSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 0);
/**
 * Describes the message tickwire.v1.Hello.
 * Use `create(HelloSchema)` to create a new message.
 */
export const HelloSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 1);
/**
 * Describes the message tickwire.v1.Welcome.
 * Use `create(WelcomeSchema)` to create a new message.
 */
export const WelcomeSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 2);
/**
 * Describes the message tickwire.v1.JoinRoom.
 * Use `create(JoinRoomSchema)` to create a new message.
 */
export const JoinRoomSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 3);
/**
 * Describes the message tickwire.v1.LeaveRoom.
 * Use `create(LeaveRoomSchema)` to create a new message.
 */
export const LeaveRoomSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 4);
/**
 * Describes the message tickwire.v1.Joined.
 * Use `create(JoinedSchema)` to create a new message.
 */
export const JoinedSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 5);
/**
 * Describes the message tickwire.v1.Left.
 * Use `create(LeftSchema)` to create a new message.
 */
export const LeftSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 6);
/**
 * Describes the message tickwire.v1.Input.
 * Use `create(InputSchema)` to create a new message.
 */
export const InputSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 7);
/**
 * Describes the message tickwire.v1.StateFrame.
 * Use `create(StateFrameSchema)` to create a new message.
 */
export const StateFrameSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 8);
/**
 * Describes the message tickwire.v1.Delta.
 * Use `create(DeltaSchema)` to create a new message.
 */
export const DeltaSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 9);
/**
 * Describes the message tickwire.v1.FieldPath.
 * Use `create(FieldPathSchema)` to create a new message.
 */
export const FieldPathSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 10);
/**
 * Describes the message tickwire.v1.PathStep.
 * Use `create(PathStepSchema)` to create a new message.
 */
export const PathStepSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 11);
/**
 * Describes the message tickwire.v1.LobbyRequest.
 * Use `create(LobbyRequestSchema)` to create a new message.
 */
export const LobbyRequestSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 12);
/**
 * Describes the message tickwire.v1.ListGames.
 * Use `create(ListGamesSchema)` to create a new message.
 */
export const ListGamesSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 13);
/**
 * Describes the message tickwire.v1.ListRooms.
 * Use `create(ListRoomsSchema)` to create a new message.
 */
export const ListRoomsSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 14);
/**
 * Describes the message tickwire.v1.CreateRoom.
 * Use `create(CreateRoomSchema)` to create a new message.
 */
export const CreateRoomSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 15);
/**
 * Describes the message tickwire.v1.LobbyJoin.
 * Use `create(LobbyJoinSchema)` to create a new message.
 */
export const LobbyJoinSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 16);
/**
 * Describes the message tickwire.v1.CreateTicket.
 * Use `create(CreateTicketSchema)` to create a new message.
 */
export const CreateTicketSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 17);
/**
 * Describes the message tickwire.v1.LobbyReply.
 * Use `create(LobbyReplySchema)` to create a new message.
 */
export const LobbyReplySchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 18);
/**
 * Describes the message tickwire.v1.GameInfo.
 * Use `create(GameInfoSchema)` to create a new message.
 */
export const GameInfoSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 19);
/**
 * Describes the message tickwire.v1.RoomListing.
 * Use `create(RoomListingSchema)` to create a new message.
 */
export const RoomListingSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 20);
/**
 * Describes the message tickwire.v1.Grant.
 * Use `create(GrantSchema)` to create a new message.
 */
export const GrantSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 21);
/**
 * Describes the message tickwire.v1.Ticket.
 * Use `create(TicketSchema)` to create a new message.
 */
export const TicketSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 22);
/**
 * Describes the message tickwire.v1.Subscribe.
 * Use `create(SubscribeSchema)` to create a new message.
 */
export const SubscribeSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 23);
/**
 * Describes the message tickwire.v1.Unsubscribe.
 * Use `create(UnsubscribeSchema)` to create a new message.
 */
export const UnsubscribeSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 24);
/**
 * Describes the message tickwire.v1.Publish.
 * Use `create(PublishSchema)` to create a new message.
 */
export const PublishSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 25);
/**
 * Describes the message tickwire.v1.ChannelReply.
 * Use `create(ChannelReplySchema)` to create a new message.
 */
export const ChannelReplySchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 26);
/**
 * Describes the message tickwire.v1.ChannelMessage.
 * Use `create(ChannelMessageSchema)` to create a new message.
 */
export const ChannelMessageSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 27);
/**
 * Describes the message tickwire.v1.Presence.
 * Use `create(PresenceSchema)` to create a new message.
 */
export const PresenceSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 28);
/**
 * Describes the message tickwire.v1.PresenceMember.
 * Use `create(PresenceMemberSchema)` to create a new message.
 */
export const PresenceMemberSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 29);
/**
 * Describes the message tickwire.v1.Ping.
 * Use `create(PingSchema)` to create a new message.
 */
export const PingSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 30);
/**
 * Describes the message tickwire.v1.Pong.
 * Use `create(PongSchema)` to create a new message.
 */
export const PongSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 31);
/**
 * Describes the message tickwire.v1.Error.
 * Use `create(ErrorSchema)` to create a new message.
 */
export const ErrorSchema = /*@__PURE__*/ messageDesc(file_tickwire_v1_tickwire, 32);
/**
 * ErrorCode is the closed set of errors that cross the wire. The README lists them.
 *
 * @generated from enum tickwire.v1.ErrorCode
 */
export var ErrorCode;
(function (ErrorCode) {
    /**
     * @generated from enum value: ERROR_CODE_UNSPECIFIED = 0;
     */
    ErrorCode[ErrorCode["UNSPECIFIED"] = 0] = "UNSPECIFIED";
    /**
     * The message was well-formed protobuf but not a valid request.
     *
     * @generated from enum value: ERROR_CODE_BAD_REQUEST = 1;
     */
    ErrorCode[ErrorCode["BAD_REQUEST"] = 1] = "BAD_REQUEST";
    /**
     * The client's protocol version is not served here.
     *
     * @generated from enum value: ERROR_CODE_UNSUPPORTED_VERSION = 2;
     */
    ErrorCode[ErrorCode["UNSUPPORTED_VERSION"] = 2] = "UNSUPPORTED_VERSION";
    /**
     * Missing, bad or expired identity.
     *
     * @generated from enum value: ERROR_CODE_UNAUTHENTICATED = 3;
     */
    ErrorCode[ErrorCode["UNAUTHENTICATED"] = 3] = "UNAUTHENTICATED";
    /**
     * No such room.
     *
     * @generated from enum value: ERROR_CODE_ROOM_NOT_FOUND = 4;
     */
    ErrorCode[ErrorCode["ROOM_NOT_FOUND"] = 4] = "ROOM_NOT_FOUND";
    /**
     * The room has no free seat.
     *
     * @generated from enum value: ERROR_CODE_ROOM_FULL = 5;
     */
    ErrorCode[ErrorCode["ROOM_FULL"] = 5] = "ROOM_FULL";
    /**
     * The request names a room the session has no seat in.
     *
     * @generated from enum value: ERROR_CODE_NOT_IN_ROOM = 6;
     */
    ErrorCode[ErrorCode["NOT_IN_ROOM"] = 6] = "NOT_IN_ROOM";
    /**
     * Too many requests or inputs; the excess was dropped.
     *
     * @generated from enum value: ERROR_CODE_RATE_LIMITED = 7;
     */
    ErrorCode[ErrorCode["RATE_LIMITED"] = 7] = "RATE_LIMITED";
    /**
     * The seat token is forged, expired, reused or for another room.
     *
     * @generated from enum value: ERROR_CODE_SEAT_INVALID = 8;
     */
    ErrorCode[ErrorCode["SEAT_INVALID"] = 8] = "SEAT_INVALID";
    /**
     * The game refused the request (its own reason is in the message).
     *
     * @generated from enum value: ERROR_CODE_GAME_REFUSED = 9;
     */
    ErrorCode[ErrorCode["GAME_REFUSED"] = 9] = "GAME_REFUSED";
    /**
     * The room ended because its game failed.
     *
     * @generated from enum value: ERROR_CODE_ROOM_FAILED = 10;
     */
    ErrorCode[ErrorCode["ROOM_FAILED"] = 10] = "ROOM_FAILED";
    /**
     * No such game.
     *
     * @generated from enum value: ERROR_CODE_GAME_NOT_FOUND = 11;
     */
    ErrorCode[ErrorCode["GAME_NOT_FOUND"] = 11] = "GAME_NOT_FOUND";
    /**
     * The server is shutting down.
     *
     * @generated from enum value: ERROR_CODE_SHUTTING_DOWN = 12;
     */
    ErrorCode[ErrorCode["SHUTTING_DOWN"] = 12] = "SHUTTING_DOWN";
    /**
     * An internal error; the server logged it.
     *
     * @generated from enum value: ERROR_CODE_INTERNAL = 13;
     */
    ErrorCode[ErrorCode["INTERNAL"] = 13] = "INTERNAL";
    /**
     * The input payload did not decode as the game's input message.
     *
     * @generated from enum value: ERROR_CODE_BAD_INPUT = 14;
     */
    ErrorCode[ErrorCode["BAD_INPUT"] = 14] = "BAD_INPUT";
    /**
     * The session is already seated in that room.
     *
     * @generated from enum value: ERROR_CODE_ALREADY_JOINED = 15;
     */
    ErrorCode[ErrorCode["ALREADY_JOINED"] = 15] = "ALREADY_JOINED";
    /**
     * A player is already in a searching matchmaking ticket.
     *
     * @generated from enum value: ERROR_CODE_ALREADY_QUEUED = 16;
     */
    ErrorCode[ErrorCode["ALREADY_QUEUED"] = 16] = "ALREADY_QUEUED";
    /**
     * A player already holds a seat in a room.
     *
     * @generated from enum value: ERROR_CODE_ALREADY_IN_ROOM = 17;
     */
    ErrorCode[ErrorCode["ALREADY_IN_ROOM"] = 17] = "ALREADY_IN_ROOM";
    /**
     * No such ticket (or the asker is not in its party).
     *
     * @generated from enum value: ERROR_CODE_TICKET_NOT_FOUND = 18;
     */
    ErrorCode[ErrorCode["TICKET_NOT_FOUND"] = 18] = "TICKET_NOT_FOUND";
    /**
     * The ticket is no longer searching (matched, expired or cancelled).
     *
     * @generated from enum value: ERROR_CODE_TICKET_DONE = 19;
     */
    ErrorCode[ErrorCode["TICKET_DONE"] = 19] = "TICKET_DONE";
    /**
     * This node runs as many rooms as it may.
     *
     * @generated from enum value: ERROR_CODE_NODE_FULL = 20;
     */
    ErrorCode[ErrorCode["NODE_FULL"] = 20] = "NODE_FULL";
    /**
     * The game refused an input as against its rules (the message says why);
     * the input changed nothing.
     *
     * @generated from enum value: ERROR_CODE_INPUT_REFUSED = 21;
     */
    ErrorCode[ErrorCode["INPUT_REFUSED"] = 21] = "INPUT_REFUSED";
    /**
     * The channel's policy does not let this session subscribe or publish
     * there (e.g. a room chat of a room the player has no seat in).
     *
     * @generated from enum value: ERROR_CODE_CHANNEL_FORBIDDEN = 22;
     */
    ErrorCode[ErrorCode["CHANNEL_FORBIDDEN"] = 22] = "CHANNEL_FORBIDDEN";
    /**
     * The session has as many channel subscriptions as it may.
     *
     * @generated from enum value: ERROR_CODE_SUBSCRIPTION_LIMIT = 23;
     */
    ErrorCode[ErrorCode["SUBSCRIPTION_LIMIT"] = 23] = "SUBSCRIPTION_LIMIT";
    /**
     * A published message is larger than the channel message size cap.
     *
     * @generated from enum value: ERROR_CODE_MESSAGE_TOO_LARGE = 24;
     */
    ErrorCode[ErrorCode["MESSAGE_TOO_LARGE"] = 24] = "MESSAGE_TOO_LARGE";
    /**
     * The session is not subscribed to that channel.
     *
     * @generated from enum value: ERROR_CODE_NOT_SUBSCRIBED = 25;
     */
    ErrorCode[ErrorCode["NOT_SUBSCRIBED"] = 25] = "NOT_SUBSCRIBED";
    /**
     * The room runs on another node of the cluster: Error.url names it.
     *
     * @generated from enum value: ERROR_CODE_ROOM_ELSEWHERE = 26;
     */
    ErrorCode[ErrorCode["ROOM_ELSEWHERE"] = 26] = "ROOM_ELSEWHERE";
})(ErrorCode || (ErrorCode = {}));
/**
 * Describes the enum tickwire.v1.ErrorCode.
 */
export const ErrorCodeSchema = /*@__PURE__*/ enumDesc(file_tickwire_v1_tickwire, 0);
