import Foundation
import Testing
import Tokenizers

/// Encoding throughput, printed rather than asserted (set `SWIFTVLA_BENCHMARKS=1`).
///
/// Run in release: `SWIFTVLA_BENCHMARKS=1 swift test -c release --filter TokenizerBenchmarks`.
/// The baseline measured in the same run is a plain pass over the text's Unicode scalars
/// (the least any tokenizer must do), so the printed ratio survives a busy machine better
/// than a time does.
@Suite("Tokenizer benchmarks", .serialized, .enabled(if: ProcessInfo.processInfo.environment["SWIFTVLA_BENCHMARKS"] != nil))
struct TokenizerBenchmarks {
    static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    @Test(arguments: TokenizerFixtures.names)
    func encodeThroughput(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        let text = try TokenizerFixtures.cases(fixture).map(\.text).joined(separator: "\n")
        let bytes = Double(text.utf8.count)
        let repeats = 50
        var tokens = 0
        let cold = Self.seconds { tokens = tokenizer.encode(text).count }
        let warm = Self.seconds { for _ in 0..<repeats { tokens = tokenizer.encode(text).count } } / Double(repeats)
        var checksum: UInt32 = 0
        let scan = Self.seconds {
            for _ in 0..<repeats { for scalar in text.unicodeScalars { checksum &+= scalar.value } }
        } / Double(repeats)
        let ids = tokenizer.encode(text)
        let decode = Self.seconds { for _ in 0..<repeats { _ = tokenizer.decode(ids) } } / Double(repeats)
        print(String(format: "%@: %.0f bytes → %d tokens; encode cold %.2f ms, warm %.2f ms (%.1f MB/s, %.0f× a scalar scan); decode %.2f ms [%u]",
                     fixture, bytes, tokens, cold * 1e3, warm * 1e3, bytes / warm / 1e6, warm / scan, decode * 1e3, checksum & 1))
    }
}
