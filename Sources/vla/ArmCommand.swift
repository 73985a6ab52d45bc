#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import Simulation
import VLA

/// `vla arm …`: find, read, move, calibrate and simulate serial servo arms.
struct ArmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arm",
        abstract: "Find, read, move, calibrate and simulate serial servo arms (SO-101, Koch).",
        discussion: """
        Joint angles are shown in degrees; the library's API uses radians. Arms are named by \
        profile (see `vla arm list`); profiles live in Hardware/arms.
        """,
        subcommands: [List.self, Ports.self, Scan.self, Ping.self, Read.self, Move.self,
                      Torque.self, Calibrate.self, Sim.self, Bench.self]
    )
}

/// Options that name one arm.
struct ArmOptions: ParsableArguments {
    @Option(help: "Serial port of the arm's bus adapter, e.g. /dev/ttyACM0 or a /dev/serial/by-id path.")
    var port: String

    @Option(help: "Arm profile name (see `vla arm list`) or path to a profile JSON file.")
    var profile: String

    @Option(help: "Calibration JSON (SwiftVLA's or LeRobot's). Default: the file saved by `vla arm calibrate` for --id, if any.")
    var calibration: String?

    @Option(help: "Name of this physical arm, for its calibration file.")
    var id: String = "default"

    /// Loads the profile and calibration and makes the arm (not connected).
    func makeArm() throws -> ServoArm {
        let p = try ArmProfile.load(profile)
        var cal: ArmCalibration?
        if let path = calibration {
            cal = try ArmCalibration(contentsOf: path)
        } else if FileManager.default.fileExists(atPath: ArmCalibration.defaultPath(profile: p.name, armID: id)) {
            cal = try ArmCalibration(contentsOf: ArmCalibration.defaultPath(profile: p.name, armID: id))
        }
        return ServoArm(profile: p, port: port, calibration: cal)
    }
}

private func degrees(_ radians: Double) -> Double { radians * 180 / .pi }

private func printJSON<T: Encodable>(_ value: T) throws {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try e.encode(value), as: UTF8.self))
}

extension ArmCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the built-in arm profiles.")
        func run() throws {
            for name in ArmProfile.builtInNames {
                let p = try ArmProfile.load(name)
                print("\(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(p.protocolFamily.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(p.joints.count) joints  \(p.role.rawValue)")
            }
        }
    }

    struct Ports: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List serial ports with their USB vendor, product and serial number.")
        @Flag(help: "Print JSON.") var json = false
        func run() throws {
            let ports = SerialPortInfo.list()
            if json { return try printJSON(ports) }
            if ports.isEmpty { print("no serial ports found"); return }
            for p in ports {
                let usb = p.vendorID.map { "\($0):\(p.productID ?? "????")" } ?? "-"
                print("\(p.path)  \(usb)  \(p.manufacturer ?? "") \(p.product ?? "")  serial \(p.serialNumber ?? "-")")
                for a in p.aliases { print("    \(a)") }
            }
        }
    }

    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Find the servos on a bus: ids, models and baud rates.")
        @Option(help: "Serial port.") var port: String
        @Option(help: "Protocol: feetech or dynamixel.") var `protocol`: ServoProtocolFamily = .feetech
        @Option(help: "Baud rates to try (comma-separated). Default: the protocol's standard rates.")
        var baud: String?
        @Option(help: "Highest id to ping.") var maxID: UInt8 = 20

        func run() throws {
            let rates = baud.map { $0.split(separator: ",").compactMap { Int($0) } }
                ?? (`protocol` == .feetech ? [1_000_000, 500_000, 250_000, 115_200, 57_600]
                                            : [57_600, 1_000_000, 115_200, 2_000_000, 9600])
            let serial = try SerialPort(path: port, baudRate: rates[0])
            var found: [[String: String]] = []
            for rate in rates {
                try serial.setBaudRate(rate)
                let client: ServoProtocolClient = `protocol` == .feetech
                    ? FeetechProtocol(link: serial) : DynamixelProtocol(link: serial)
                for id in client.scan(0...maxID, timeout: 0.02) {
                    // ping gives the model number where the protocol carries it (Dynamixel);
                    // else read it from the control table (Feetech: address 3, 2 bytes).
                    var number: Int? = try? client.ping(id)
                    if number == nil, let b = try? client.read(id, address: 3, count: 2) {
                        number = Int(b[0]) | Int(b[1]) << 8
                    }
                    let n = number ?? -1
                    let model = ServoModel.from(modelNumber: n, family: `protocol`)?.rawValue ?? "unknown (\(n))"
                    found.append(["id": "\(id)", "model": model, "baud_rate": "\(rate)"])
                    print("id \(id)  \(model)  at \(rate) baud")
                }
            }
            if found.isEmpty { print("no servos answered on \(port) at \(rates.map(String.init).joined(separator: ", ")) baud") }
        }
    }

    struct Ping: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ping one servo.")
        @Option(help: "Serial port.") var port: String
        @Option(help: "Protocol: feetech or dynamixel.") var `protocol`: ServoProtocolFamily = .feetech
        @Option(help: "Baud rate.") var baud = 1_000_000
        @Option(help: "Servo id.") var servo: UInt8

        func run() throws {
            let serial = try SerialPort(path: port, baudRate: baud)
            let client: ServoProtocolClient = `protocol` == .feetech
                ? FeetechProtocol(link: serial) : DynamixelProtocol(link: serial)
            let start = Date()
            let model = try client.ping(servo)
            let ms = Date().timeIntervalSince(start) * 1000
            print("servo \(servo) answered in \(String(format: "%.2f", ms)) ms" + (model.map { ", model number \($0)" } ?? ""))
        }
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the arm's joint positions as JSON (degrees; gripper 0…1).")
        @OptionGroup var arm: ArmOptions
        func run() throws {
            let a = try arm.makeArm()
            a.enablesTorqueOnConnect = false   // reading must not move or stiffen the arm
            try a.connect()
            defer { try? a.disconnect() }
            let q = try a.observe()
            var out: [String: Double] = [:]
            for j in a.profile.joints {
                out[j.name] = j.kind == .gripper ? q[j.name]! : degrees(q[j.name]!)
            }
            try printJSON(out)
        }
    }

    struct Move: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move joints to targets in degrees (gripper 0…1), through the safety limits.",
            discussion: "Example: vla arm move --port /dev/ttyACM0 --profile so101-follower elbow_flex=20 gripper=0.5")
        @OptionGroup var arm: ArmOptions
        @Argument(help: "Targets as joint=value.") var targets: [String]
        @Option(help: "Seconds to keep stepping toward the target.") var duration = 3.0

        func validate() throws {
            for t in targets where t.split(separator: "=").count != 2 || Double(t.split(separator: "=")[1]) == nil {
                throw ValidationError("target '\(t)' is not joint=number")
            }
        }

        func run() throws {
            let a = try arm.makeArm()
            try a.connect()
            defer { try? a.disconnect() }
            var goal = try a.observe()
            for t in targets {
                let parts = t.split(separator: "=").map(String.init)
                guard let j = a.profile.joints.first(where: { $0.name == parts[0] }) else {
                    throw ValidationError("no joint \(parts[0]); joints: \(a.jointNames.joined(separator: ", "))")
                }
                let v = Double(parts[1])!
                goal[j.name] = j.kind == .gripper ? v : v * .pi / 180
            }
            // Step toward the goal (each step limited by max_step), feeding the watchdog,
            // until the joints arrive or the time is up.
            let end = Date().addingTimeInterval(duration)
            var reported = Set<String>()
            while Date() < end {
                let sent = try a.send(.joints(goal))
                for c in sent.clamps where c.reasons != [.maxStep] && reported.insert(c.joint).inserted {
                    print("clamped: \(c)")
                }
                let q = try a.observe()
                let arrived = zip(sent.sent.values, q.values).allSatisfy { abs($0 - $1) < 0.02 }
                if arrived && !sent.clamps.contains(where: { $0.reasons.contains(.maxStep) }) { break }
                usleep(20_000)
            }
            let q = try a.observe()
            print(q.names.map { n in
                let j = a.profile.joints.first { $0.name == n }!
                return "\(n)=\(String(format: "%.1f", j.kind == .gripper ? q[n]! : degrees(q[n]!)))"
            }.joined(separator: " "))
        }
    }

    struct Torque: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Turn torque on (holding the present pose) or off.")
        @OptionGroup var arm: ArmOptions
        @Argument(help: "on or off.") var state: String

        func validate() throws {
            guard state == "on" || state == "off" else { throw ValidationError("state must be 'on' or 'off'") }
        }

        func run() throws {
            let p = try ArmProfile.load(arm.profile)
            let bus = try MotorBus.open(path: arm.port, family: p.protocolFamily, baudRate: p.baudRate, motors: p.motors)
            try bus.verify()
            if state == "on" { try bus.syncWrite(.goalPosition, try bus.syncRead(.presentPosition)) }
            try bus.setTorque(state == "on")
            try bus.close()
            print("torque \(state)")
        }
    }

    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record each joint's homing offset and range, interactively, and save them.",
            discussion: """
            1. Torque goes off. Move the arm to the middle of every joint's range and press Enter: \
            the homing offsets are written so that pose reads half a turn.
            2. Move every joint through its whole range, then press Enter: the ranges are recorded.
            The file is LeRobot-compatible and saved under ~/.cache/swiftvla/calibration/<profile>/<id>.json.
            """)
        @OptionGroup var arm: ArmOptions
        @Option(help: "Where to save (default: the standard location for --profile and --id).") var output: String?

        func run() throws {
            let p = try ArmProfile.load(arm.profile)
            let bus = try MotorBus.open(path: arm.port, family: p.protocolFamily, baudRate: p.baudRate, motors: p.motors)
            defer { try? bus.close() }
            try bus.verify()
            let calibrator = try ArmCalibrator(bus: bus, profile: p)
            print("Move \(p.name) to the middle of its range, then press Enter.")
            _ = readLine()
            let offsets = try calibrator.setHomingAtCurrentPose()
            print("homing offsets: " + p.joints.map { "\($0.name) \(offsets[$0.name]!)" }.joined(separator: ", "))
            print("Move every joint through its whole range; press Enter when done.")
            var stdinPoll = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            repeat {
                try calibrator.sampleRange()
                let line = p.joints.map { j in
                    calibrator.range(of: j.name).map { "\(j.name) \($0.lowerBound)…\($0.upperBound)" } ?? j.name
                }
                print("\r" + line.joined(separator: "  "), terminator: "")
                fflush(stdout)
            } while poll(&stdinPoll, 1, 50) == 0
            _ = readLine()
            print()
            let cal = try calibrator.result()
            let path = output ?? ArmCalibration.defaultPath(profile: p.name, armID: arm.id)
            try cal.save(to: path)
            print("saved \(path)")
        }
    }

    struct Sim: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a simulated arm on a pseudo-terminal until stopped.",
            discussion: "Prints the pty path on the first line of stdout; any program (the vendors' SDKs too) can open it as a serial port.")
        @OptionGroup var options: SimArmOptions
        func run() throws { try options.serve() }
    }
}

/// Options of a simulated arm, shared by `vla arm sim` and `vla sim arm`.
struct SimArmOptions: ParsableArguments {
    @Option(help: "Arm profile to simulate.") var profile = "so101-follower"
    @Option(help: "Protocol; must match the profile's (given for clarity in scripts).")
    var `protocol`: ServoProtocolFamily?
    @Option(help: "Servo top speed in ticks per second.") var speed = 3000.0

    func validate() throws {
        let p = try ArmProfile.load(profile)
        if let pr = `protocol`, pr != p.protocolFamily {
            throw ValidationError("profile \(p.name) speaks \(p.protocolFamily.rawValue), not \(pr.rawValue)")
        }
    }

    /// Serves until SIGINT or SIGTERM.
    func serve() throws {
        let p = try ArmProfile.load(profile)
        let sim = try VirtualServoBus(profile: p, maxSpeed: speed)
        // Before the path is printed: whoever reads it may stop us at once.
        StopSignals.install()
        sim.start()
        print(sim.path)
        fflush(stdout)
        FileHandle.standardError.write(Data("simulating \(p.name) (\(p.protocolFamily.rawValue), ids \(p.joints.map { String($0.id) }.joined(separator: ","))) — Ctrl-C to stop\n".utf8))
        StopSignals.wait()
        sim.stop()
    }
}

/// `vla sim …`: simulated hardware. `vla sim arm --protocol feetech|dynamixel --profile NAME`
/// is the same as `vla arm sim`; list `SimCommand.self` in `VLACommand`'s subcommands
/// to enable it.
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim", abstract: "Serve simulated hardware.", subcommands: [Arm.self])

    struct Arm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a simulated arm on a pseudo-terminal until stopped (prints the pty path first).")
        @OptionGroup var options: SimArmOptions
        func run() throws { try options.serve() }
    }
}

extension ArmCommand {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time sync reads of every joint's position against the bytes' wire time.",
            discussion: "Without --port, runs against a simulated arm on a pty (which has no wire: the ratio then shows driver + pty overhead).")
        @Option(help: "Serial port (default: a simulated arm).") var port: String?
        @Option(help: "Arm profile.") var profile = "so101-follower"
        @Option(help: "Number of sync reads.") var count = 500

        func run() throws {
            let p = try ArmProfile.load(profile)
            var sim: VirtualServoBus?
            if port == nil {
                sim = try VirtualServoBus(profile: p)
                sim!.start()
            }
            let bus = try MotorBus.open(path: port ?? sim!.path, family: p.protocolFamily, baudRate: p.baudRate, motors: p.motors)
            defer { try? bus.close() }
            _ = try bus.syncRead(.presentPosition)   // warm up
            var times: [Double] = []
            for _ in 0..<count {
                let t0 = Timestamp.now()
                _ = try bus.syncRead(.presentPosition)
                times.append(Timestamp.now().seconds(since: t0))
            }
            times.sort()
            let spec = p.joints[0].model.spec(.presentPosition)!
            let n = p.joints.count
            // Request: header + id + len + instr + params + checksum; each reply likewise.
            let (request, reply) = p.protocolFamily == .feetech
                ? (6 + 2 + n, 6 + spec.size)
                : (10 + 4 + n, 11 + spec.size)
            let bytes = request + n * reply
            let wire = Double(bytes * 10) / Double(p.baudRate)
            let median = times[times.count / 2], p99 = times[min(times.count - 1, times.count * 99 / 100)]
            print("sync read of \(n) servos (\(p.protocolFamily.rawValue), \(p.baudRate) baud, \(port ?? "simulator")): \(bytes) bytes")
            print(String(format: "wire time %.3f ms; round trip median %.3f ms (%.1f× wire), p99 %.3f ms; %.0f reads/s",
                         wire * 1000, median * 1000, median / wire, p99 * 1000, 1 / median))
        }
    }
}

extension ServoProtocolFamily: ExpressibleByArgument {}
