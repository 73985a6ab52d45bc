import Foundation
import Episodes
import EpisodeSamples

/// `crash-writer PARENT NAME ENCODING`: records an endless episode for the crash-safety
/// test (`CrashSafetyTests.killedWriter`) to SIGKILL in the middle of an append.
///
/// Why a program of its own: the test used to `fork()` the test process and run an
/// `EpisodeWriter` in the child. The swift-testing process is multi-threaded, and a lock
/// that another thread held at the moment of the fork (malloc, Foundation, OpenBLAS, …)
/// stays locked forever in the child, which could then deadlock (the test failed after
/// its timeout). The test now starts this program with Foundation's `Process`
/// (`posix_spawn` + `exec`: a fresh process, and every descriptor above stderr closed,
/// so it keeps no other test's `flock` alive) and kills it with SIGKILL as it did the child.
///
/// It appends `EpisodeSamples.step(i)` for i = 0, 1, 2, … with a 320×240 RGB frame
/// (`EpisodeSamples.frame(0, width: 320, height: 240)` whose first byte is `i & 0xFF` and
/// whose sequence number is `i`) into the episode folder `PARENT/NAME`, with `sync: .never`,
/// and never finishes it. It exits by itself only on an error (status 3, printed to stderr),
/// or, with status 4, when the test process that started it is gone or after 5 minutes, so
/// a crashed test run does not leave it filling the disk.
@main
enum CrashWriter {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count == 3, let encoding = FrameEncoding(rawValue: arguments[2]) else {
            fail(2, "usage: crash-writer PARENT NAME raw|png|jpeg")
        }
        let parent = URL(fileURLWithPath: arguments[0]), name = arguments[1]
        let starter = getppid(), deadline = Date().addingTimeInterval(300)
        let big = EpisodeSamples.frame(0, width: 320, height: 240, format: .rgb)
        do {
            let writer = try EpisodeWriter(in: parent, metadata: EpisodeSamples.metadata(encoding: encoding),
                                           options: .init(sync: .never, name: name))
            var i = 0
            while true {
                var frame = big
                frame.image.pixels[0] = UInt8(i & 0xFF)
                frame.sequence = UInt64(i)
                try writer.append(EpisodeSamples.step(i), frame: frame)
                i += 1
                if getppid() != starter || Date() > deadline {
                    fail(4, "crash-writer: not killed (test process gone or 5 minutes passed) after \(i) steps")
                }
            }
        } catch {
            fail(3, "crash-writer: \(error)")
        }
    }

    static func fail(_ status: Int32, _ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(status)
    }
}
