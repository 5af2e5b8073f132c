import AutofixCore
import AutofixTestSupport
import Foundation

print("autofix-bench: no benchmarks yet")
