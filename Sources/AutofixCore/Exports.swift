@_exported import AutofixGit
@_exported import AutofixModel
@_exported import AutofixPatch
@_exported import AutofixSandbox
@_exported import AutofixSupport
@_exported import AutofixTestReport
