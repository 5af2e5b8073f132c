import AutofixCommands

// The commands live in AutofixCommands, where the tests reach them too; this only starts them.
await GitAutofix.start()
