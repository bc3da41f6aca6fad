package main

// crosswordUnavailable is why -scenario crossword refuses to run: the game
// it loads is not written yet.
//
// To add it once examples/crossword exists (proto/tickwire/crossword/v1):
// write crosswordScenario implementing scenario next to arenaScenario —
// join creates or joins the shared board's room (JoinRoom{game:
// "crossword"}), input encodes the bot's next action (pan the view or
// play a word) as the game's Input message, sendsInputs returns true —
// then replace unavailable with new: newCrosswordScenario in scenarios.
// Latency, lost inputs, bytes and the report need no change: they only
// look at Input.seq and StateFrame.last_input_seq.
const crosswordUnavailable = "the crossword game (examples/crossword) does not exist yet; run -scenario arena or idle"
