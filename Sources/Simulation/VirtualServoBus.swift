#if canImport(Glibc)
import Glibc
#endif
import Actuation
import Foundation

/// A simulated servo bus on a pseudo-terminal, speaking the same bytes as real
/// Feetech STS/SCS or Dynamixel Protocol 2.0 servos.
///
/// The driver under test opens `path` (a real tty, with real termios) exactly as it
/// would open `/dev/ttyACM0`; any other program, the vendors' SDKs included, can too.
/// The bus answers with the exact status packets the servos send, moves the joints
/// at a bounded speed, and can inject faults: no reply, a wrong checksum, error bits,
/// a short reply, garbage before the reply, and a disappearing port.
///
/// ```swift
/// let sim = try VirtualServoBus(family: .feetech, servos: [VirtualServo(id: 1, model: .sts3215)])
/// try sim.start()
/// let port = try SerialPort(path: sim.path, baudRate: 1_000_000)
/// ```
public final class VirtualServoBus: @unchecked Sendable {
    /// A fault to inject into replies.
    public enum Fault: Sendable, Equatable {
        /// The servo stays silent.
        case noReply
        /// The reply's checksum (Feetech) or CRC (Dynamixel) is wrong.
        case badChecksum
        /// The reply carries these error bits (Feetech) or this ERR byte (Dynamixel).
        case errorBits(UInt8)
        /// Only the first half of the reply is sent.
        case shortReply
        /// These bytes are sent before the reply.
        case garbageBefore([UInt8])
    }

    private let engine: ServoBusEngine

    /// The protocol the servos speak.
    public var family: ServoProtocolFamily { engine.family }
    /// The pty slave path the driver opens, e.g. `/dev/pts/7`.
    public var path: String { engine.path }

    /// Creates the pty and the servos; call `start()` to begin serving.
    /// - Throws: `Errno` if the pty cannot be created.
    public init(family: ServoProtocolFamily, servos: [VirtualServo]) throws {
        engine = try ServoBusEngine(family: family, servos: servos)
    }

    /// Stops serving and closes the pty.
    deinit { engine.disconnect() }

    /// Starts serving on a background thread.
    public func start() { engine.start() }
    /// Stops serving (the port stays open; `start()` resumes).
    public func stop() { engine.stop() }
    /// Makes the port disappear, as if the USB cable were pulled: the driver's next
    /// read or write fails.
    public func disconnect() { engine.disconnect() }
    /// Injects `fault` into the next `count` replies of `servo` (any servo if `nil`).
    public func inject(_ fault: Fault, servo: UInt8? = nil, count: Int = Int.max) {
        engine.inject(fault, servo: servo, count: count)
    }
    /// Removes all injected faults.
    public func clearFaults() { engine.clearFaults() }
    /// Runs `body` with exclusive access to the servo with `id`; `nil` if there is none.
    public func withServo<R>(_ id: UInt8, _ body: (VirtualServo) throws -> R) rethrows -> R? {
        try engine.withServo(id, body)
    }
    /// The instruction packets received so far (up to the last 1000).
    public var receivedPackets: [[UInt8]] { engine.receivedPackets }
}

/// The serving side of a `VirtualServoBus`: owned by its thread while it runs, so the
/// public handle can stop it from `deinit`.
final class ServoBusEngine: @unchecked Sendable {
    typealias Fault = VirtualServoBus.Fault

    /// The protocol the servos speak.
    let family: ServoProtocolFamily
    /// The pty slave path the driver opens, e.g. `/dev/pts/7`.
    let path: String

    private var master: CInt
    private var heldSlave: CInt
    private let lock = NSLock()
    private var servos: [VirtualServo]
    private var faults: [(servo: UInt8?, fault: Fault, remaining: Int)] = []
    private var running = false
    private var thread: Thread?
    private var stopped = DispatchSemaphore(value: 0)
    private var rx: [UInt8] = []
    /// Every instruction packet received, for tests (bounded to the last 1000).
    private var received: [[UInt8]] = []

    /// Creates the pty and the servos; call `start()` to begin serving.
    /// - Throws: `Errno` if the pty cannot be created.
    init(family: ServoProtocolFamily, servos: [VirtualServo]) throws {
        precondition(servos.allSatisfy { $0.model.protocolFamily == family },
                     "VirtualServoBus: every servo must speak \(family)")
        self.family = family
        self.servos = servos
        let (m, slavePath) = try PseudoTerminal.openMaster()
        self.master = m
        self.path = slavePath
        // Keep one slave descriptor open so the master never sees a hang-up between
        // clients, and put the line in raw mode before any client opens it.
        let s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard s >= 0 else {
            let e = errno
            close(m)
            throw Errno(rawValue: e)
        }
        var t = termios()
        if tcgetattr(s, &t) == 0 {
            cfmakeraw(&t)
            _ = tcsetattr(s, TCSANOW, &t)
        }
        self.heldSlave = s
        let flags = fcntl(m, F_GETFL)
        _ = fcntl(m, F_SETFL, flags | O_NONBLOCK)
    }

    deinit {
        if master >= 0 { close(master) }
        if heldSlave >= 0 { close(heldSlave) }
    }

    // MARK: Control

    /// Starts serving on a background thread.
    func start() {
        lock.lock()
        defer { lock.unlock() }
        guard !running, master >= 0 else { return }
        running = true
        stopped = DispatchSemaphore(value: 0)
        let t = Thread { self.serve() }
        t.name = "VirtualServoBus \(path)"
        thread = t
        t.start()
    }

    /// Stops serving (the port stays open; `start()` resumes).
    func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning { stopped.wait() }
    }

    /// Makes the port disappear, as if the USB cable were pulled: the driver's next
    /// read or write fails.
    func disconnect() {
        stop()
        lock.lock()
        defer { lock.unlock() }
        if master >= 0 { close(master); master = -1 }
        if heldSlave >= 0 { close(heldSlave); heldSlave = -1 }
    }

    /// Injects `fault` into the next `count` replies of `servo` (any servo if `nil`).
    func inject(_ fault: Fault, servo: UInt8? = nil, count: Int = Int.max) {
        lock.lock()
        faults.append((servo, fault, count))
        lock.unlock()
    }

    /// Removes all injected faults.
    func clearFaults() {
        lock.lock()
        faults.removeAll()
        lock.unlock()
    }

    /// Runs `body` with exclusive access to the servo with `id`.
    func withServo<R>(_ id: UInt8, _ body: (VirtualServo) throws -> R) rethrows -> R? {
        lock.lock()
        defer { lock.unlock() }
        guard let s = servos.first(where: { $0.id == id }) else { return nil }
        return try body(s)
    }

    /// The instruction packets received so far (up to the last 1000).
    var receivedPackets: [[UInt8]] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    // MARK: Serving

    private func serve() {
        var last = Date()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            lock.lock()
            let keepGoing = running
            let fd = master
            lock.unlock()
            if !keepGoing || fd < 0 { break }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, 2)
            let now = Date()
            lock.lock()
            let dt = now.timeIntervalSince(last)
            last = now
            for s in servos { s.step(dt) }
            if r > 0 && p.revents & Int16(POLLIN) != 0 {
                let n = read(fd, &buf, buf.count)
                if n > 0 { rx.append(contentsOf: buf[0..<n]) }
            }
            let replies = processPackets()
            lock.unlock()
            for reply in replies where !reply.isEmpty { writeAll(fd, reply) }
        }
        stopped.signal()
    }

    /// Writes a reply; gives it up (as a wire nobody listens to would) when the pty stays
    /// full for a second, so a client that stopped reading cannot wedge the serving thread
    /// (and `stop()` behind it).
    private func writeAll(_ fd: CInt, _ bytes: [UInt8]) {
        var off = 0
        let deadline = Date().addingTimeInterval(1)
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { off += n; continue }
            if n < 0 && (errno == EINTR || errno == EAGAIN), Date() < deadline { usleep(100); continue }
            return
        }
    }

    /// Parses complete instruction packets from `rx` and returns the replies (lock held).
    private func processPackets() -> [[UInt8]] {
        var replies: [[UInt8]] = []
        while !rx.isEmpty {
            switch family {
            case .feetech:
                guard let (frame, length) = nextFeetechFrame() else { return replies }
                record(Array(rx[0..<length]))
                rx.removeFirst(length)
                replies += handleFeetech(frame)
            case .dynamixel:
                guard let (frame, length) = nextDynamixelFrame() else { return replies }
                record(Array(rx[0..<length]))
                rx.removeFirst(length)
                replies += handleDynamixel(frame)
            }
        }
        return replies
    }

    private func record(_ packet: [UInt8]) {
        received.append(packet)
        if received.count > 1000 { received.removeFirst(received.count - 1000) }
    }

    /// Drops garbage from the front of `rx` and returns the first complete packet.
    private func nextFeetechFrame() -> (FeetechPacket.Frame, Int)? {
        while rx.count >= 4 {
            if rx[0] == 0xFF, rx[1] == 0xFF, rx[2] != 0xFF {
                let total = Int(rx[3]) + 4
                guard rx.count >= total else { return nil }
                if let f = FeetechPacket.parseFrame(Array(rx[0..<total])) { return (f, total) }
            }
            rx.removeFirst()
        }
        return nil
    }

    private func nextDynamixelFrame() -> (DynamixelPacket.Frame, Int)? {
        while rx.count >= 7 {
            if Array(rx[0..<4]) == DynamixelPacket.header {
                let total = 7 + (Int(rx[5]) | Int(rx[6]) << 8)
                guard rx.count >= total else { return nil }
                if let f = DynamixelPacket.parseFrame(Array(rx[0..<total])) { return (f, total) }
            }
            rx.removeFirst()
        }
        return nil
    }

    private func servo(_ id: UInt8) -> VirtualServo? { servos.first { $0.id == id } }

    /// The fault to apply to a reply from `id`, consuming one use.
    private func takeFault(for id: UInt8) -> Fault? {
        guard let i = faults.firstIndex(where: { $0.servo == nil || $0.servo == id }) else { return nil }
        let f = faults[i].fault
        faults[i].remaining -= 1
        if faults[i].remaining <= 0 { faults.remove(at: i) }
        return f
    }

    /// Builds a status packet for `id`, with any injected fault applied.
    private func reply(_ id: UInt8, error: UInt8, _ params: [UInt8]) -> [UInt8] {
        let fault = takeFault(for: id)
        var err = error
        if case .errorBits(let bits)? = fault { err |= bits }
        var packet = family == .feetech ? FeetechPacket.status(id, error: err, params)
                                        : DynamixelPacket.status(id, error: err, params)
        switch fault {
        case .noReply?: return []
        case .badChecksum?: packet[packet.count - 1] ^= 0x5A
        case .shortReply?: packet = Array(packet.prefix(packet.count / 2))
        case .garbageBefore(let g)?: packet = g + packet
        default: break
        }
        return packet
    }

    // MARK: Feetech

    private func handleFeetech(_ f: FeetechPacket.Frame) -> [[UInt8]] {
        typealias I = FeetechPacket.Instruction
        let broadcast = f.id == FeetechPacket.broadcastID
        guard let inst = I(rawValue: f.code) else { return [] }
        switch inst {
        case .ping:
            return servosAddressed(by: f.id).map { reply($0.id, error: 0, []) }
        case .read:
            guard !broadcast, let s = servo(f.id), f.params.count == 2 else { return [] }
            guard let data = s.read(address: Int(f.params[0]), count: Int(f.params[1])) else { return [] }
            return [reply(s.id, error: 0, data)]
        case .write, .regWrite:
            guard f.params.count >= 1 else { return [] }
            var out: [[UInt8]] = []
            for s in servosAddressed(by: f.id) {
                let id = s.id
                if inst == .write {
                    _ = s.write(address: Int(f.params[0]), data: Array(f.params[1...]))
                } else {
                    pendingFeetech[id] = (Int(f.params[0]), Array(f.params[1...]))
                }
                if !broadcast && s.value(.statusReturnLevel) >= 1 { out.append(reply(s.id, error: 0, [])) }
            }
            return out
        case .action:
            for (id, w) in pendingFeetech { _ = servo(id)?.write(address: w.0, data: w.1) }
            pendingFeetech.removeAll()
            return []
        case .syncRead:
            guard f.params.count >= 2 else { return [] }
            let address = Int(f.params[0]), count = Int(f.params[1])
            return f.params[2...].compactMap { id in
                guard let s = servo(id), let data = s.read(address: address, count: count) else { return nil }
                return reply(id, error: 0, data)
            }
        case .syncWrite:
            guard f.params.count >= 2 else { return [] }
            let address = Int(f.params[0]), count = Int(f.params[1])
            var i = 2
            while i + count < f.params.count + 1 && i + 1 + count <= f.params.count {
                let id = f.params[i]
                _ = servo(id)?.write(address: address, data: Array(f.params[(i + 1)..<(i + 1 + count)]))
                i += 1 + count
            }
            return []
        case .reset:
            return []
        }
    }

    private var pendingFeetech: [UInt8: (Int, [UInt8])] = [:]
    private var pendingDynamixel: [UInt8: (Int, [UInt8])] = [:]

    private func servosAddressed(by id: UInt8) -> [VirtualServo] {
        id == 0xFE ? servos : servos.filter { $0.id == id }
    }

    // MARK: Dynamixel

    private func handleDynamixel(_ f: DynamixelPacket.Frame) -> [[UInt8]] {
        typealias I = DynamixelPacket.Instruction
        guard f.error == nil, let inst = I(rawValue: f.instruction) else { return [] }
        let broadcast = f.id == DynamixelPacket.broadcastID
        let p = f.params
        func u16(_ i: Int) -> Int { Int(p[i]) | Int(p[i + 1]) << 8 }
        switch inst {
        case .ping:
            return servosAddressed(by: f.id).map { s in
                let m = s.model.modelNumber
                return reply(s.id, error: 0, [UInt8(m & 0xFF), UInt8(m >> 8), UInt8(s.memory[6])])
            }
        case .read:
            guard !broadcast, let s = servo(f.id), p.count == 4 else { return [] }
            guard let data = s.read(address: u16(0), count: u16(2)) else { return [reply(s.id, error: 0x07, [])] }
            return [reply(s.id, error: 0, data)]
        case .write, .regWrite:
            guard p.count >= 2 else { return [] }
            var out: [[UInt8]] = []
            for s in servosAddressed(by: f.id) {
                var err: UInt8 = 0
                if inst == .write {
                    switch s.write(address: u16(0), data: Array(p[2...])) {
                    case .ok: break
                    case .accessError: err = 0x07
                    case .rangeError: err = 0x04
                    }
                } else {
                    pendingDynamixel[s.id] = (u16(0), Array(p[2...]))
                }
                if !broadcast && s.value(.statusReturnLevel) >= 2 { out.append(reply(s.id, error: err, [])) }
            }
            return out
        case .action:
            for (id, w) in pendingDynamixel { _ = servo(id)?.write(address: w.0, data: w.1) }
            pendingDynamixel.removeAll()
            return []
        case .syncRead:
            guard p.count >= 4 else { return [] }
            let address = u16(0), count = u16(2)
            return p[4...].compactMap { id in
                guard let s = servo(id), let data = s.read(address: address, count: count) else { return nil }
                return reply(id, error: 0, data)
            }
        case .bulkRead:
            var out: [[UInt8]] = []
            var i = 0
            while i + 5 <= p.count {
                let id = p[i], address = u16(i + 1), count = u16(i + 3)
                if let s = servo(id), let data = s.read(address: address, count: count) {
                    out.append(reply(id, error: 0, data))
                }
                i += 5
            }
            return out
        case .syncWrite:
            guard p.count >= 4 else { return [] }
            let address = u16(0), count = u16(2)
            var i = 4
            while i + 1 + count <= p.count {
                _ = servo(p[i])?.write(address: address, data: Array(p[(i + 1)..<(i + 1 + count)]))
                i += 1 + count
            }
            return []
        case .factoryReset, .reboot, .bulkWrite, .status:
            return []
        }
    }
}
