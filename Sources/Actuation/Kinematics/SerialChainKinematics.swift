import Foundation
import RobotCore

/// Forward and inverse kinematics of a serial chain of revolute joints described the
/// URDF way: each joint has a fixed origin (xyz, rpy) relative to its parent and turns
/// about its local z axis.
///
/// The SO-101 chain is loaded from `Hardware/kinematics/so101.json`, whose numbers come
/// from TheRobotStudio's `so101_new_calib.urdf` (cited in that file). Inverse kinematics
/// is damped least squares (Levenberg–Marquardt style) on position and, with a smaller
/// weight, orientation — the SO-101 has five arm joints, so not every 6-D pose is
/// reachable and position wins. End-effector delta actions (RT-2's action space) become
/// joint targets through `applyDelta(_:to:)`.
public struct SerialChainKinematics: Sendable, Codable {
    /// One revolute joint of the chain.
    public struct Joint: Sendable, Codable {
        /// Joint name (matches the arm profile).
        public var name: String
        /// Origin translation relative to the parent frame, metres.
        public var xyz: [Double]
        /// Origin rotation (roll, pitch, yaw), radians; R = Rz(yaw)·Ry(pitch)·Rx(roll).
        public var rpy: [Double]
    }

    /// Where the end effector may go.
    public struct Workspace: Sendable, Codable {
        /// Lowest tool-point height above the base frame's origin, metres.
        public var minZ: Double
        /// Largest distance of the tool point from the base origin, metres.
        public var maxReach: Double
        enum CodingKeys: String, CodingKey { case minZ = "min_z", maxReach = "max_reach" }
    }

    /// The revolute joints from base to wrist, in order.
    public var joints: [Joint]
    /// The fixed transform from the last joint's frame to the tool point.
    public var tool: Joint
    /// Workspace limits.
    public var workspace: Workspace
    /// Name of the gripper joint (passed through, not part of the chain).
    public var gripper: String?
    /// The source of the numbers.
    public var source: String

    /// Loads `Hardware/kinematics/<name>.json`.
    public static func load(_ name: String) throws -> SerialChainKinematics {
        for dir in ArmProfile.hardwareDirectories() {
            if let data = FileManager.default.contents(atPath: dir + "/kinematics/" + name + ".json") {
                return try JSONDecoder().decode(SerialChainKinematics.self, from: data)
            }
        }
        throw ArmProfileError.notFound(name: "kinematics/\(name)", searched: ArmProfile.hardwareDirectories())
    }

    /// The SO-101 arm.
    public static func so101() throws -> SerialChainKinematics { try load("so101") }

    // MARK: Forward kinematics

    /// The tool pose for joint angles `q` (radians, chain order).
    public func forward(_ q: [Double]) -> Pose {
        precondition(q.count == joints.count, "kinematics: \(q.count) angles for \(joints.count) joints")
        var t = Pose.identity
        for (j, angle) in zip(joints, q) {
            t = t * Pose(xyz: j.xyz, rpy: j.rpy) * Pose(rotationZ: angle)
        }
        return t * Pose(xyz: tool.xyz, rpy: tool.rpy)
    }

    // MARK: Inverse kinematics

    /// Joint angles reaching `target` (position first, orientation weighted by
    /// `orientationWeight` metres per radian), starting from `q0`, within `limits`.
    /// - Returns: The angles and the remaining position error in metres.
    public func inverse(_ target: Pose, from q0: [Double], limits: [ClosedRange<Double>],
                        orientationWeight: Double = 0.05, iterations: Int = 100) -> (q: [Double], positionError: Double) {
        var q = q0
        let n = joints.count
        let lambda = 0.01
        for _ in 0..<iterations {
            let e = error(from: forward(q), to: target, weight: orientationWeight)
            if norm(Array(e[0..<3])) < 1e-5 && norm(Array(e[3..<6])) * orientationWeight < 1e-5 { break }
            // Numerical Jacobian, 6 × n.
            var jac = [[Double]](repeating: [Double](repeating: 0, count: n), count: 6)
            let h = 1e-6
            let base = forward(q)
            for k in 0..<n {
                var qh = q
                qh[k] += h
                let d = error(from: base, to: forward(qh), weight: orientationWeight)
                for r in 0..<6 { jac[r][k] = d[r] / h }
            }
            // (JᵀJ + λ²I) Δq = Jᵀ e
            var a = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            var b = [Double](repeating: 0, count: n)
            for i in 0..<n {
                for k in 0..<n {
                    var sum = 0.0
                    for r in 0..<6 { sum += jac[r][i] * jac[r][k] }
                    a[i][k] = sum
                }
                a[i][i] += lambda * lambda
                var rhs = 0.0
                for r in 0..<6 { rhs += jac[r][i] * e[r] }
                b[i] = rhs
            }
            guard let dq = solve(a, b) else { break }
            for i in 0..<n {
                let step = max(min(dq[i], 0.2), -0.2)
                q[i] = min(max(q[i] + step, limits[i].lowerBound), limits[i].upperBound)
            }
        }
        let final = forward(q)
        return (q, norm(zip(final.position, target.position).map { $0 - $1 }))
    }

    /// Converts an end-effector delta action into joint targets for an arm at `current`.
    ///
    /// The delta (x, y, z in metres; roll, pitch, yaw in radians) is applied in the base
    /// frame to the present tool pose; the target is first clamped to the workspace, and
    /// any clamp or unreachable remainder (> 5 mm) is reported as a `.workspace` clamp.
    /// The `gripper` value passes through as an absolute opening.
    public func applyDelta(_ action: RobotAction, to current: JointPositions,
                           limits: [ClosedRange<Double>]? = nil) -> (JointPositions, [JointClamp]) {
        let q0 = joints.map { current[$0.name] ?? 0 }
        let lim = limits ?? joints.map { _ in -Double.pi...Double.pi }
        let now = forward(q0)
        var clamps: [JointClamp] = []
        let d = RobotAction.endEffectorDeltaNames.dropLast().map { action[$0] ?? 0 }
        var p = zip(now.position, d[0..<3]).map { $0 + $1 }
        // Workspace: above the floor and within reach.
        if p[2] < workspace.minZ {
            clamps.append(JointClamp(joint: "z", requested: p[2], sent: workspace.minZ, reasons: [.workspace]))
            p[2] = workspace.minZ
        }
        let r = norm(p)
        if r > workspace.maxReach {
            clamps.append(JointClamp(joint: "reach", requested: r, sent: workspace.maxReach, reasons: [.workspace]))
            p = p.map { $0 * workspace.maxReach / r }
        }
        let rot = Pose(xyz: [0, 0, 0], rpy: Array(d[3..<6])) * Pose(xyz: [0, 0, 0], rotation: now.rotation)
        let target = Pose(xyz: p, rotation: rot.rotation)
        let (q, err) = inverse(target, from: q0, limits: lim)
        if err > 0.005 {
            clamps.append(JointClamp(joint: "position_error", requested: 0, sent: err, reasons: [.workspace]))
        }
        var out = current
        for (j, v) in zip(joints, q) { out[j.name] = v }
        if let g = gripper, let v = action["gripper"], out[g] != nil { out[g] = v }
        out.timestamp = action.timestamp
        return (out, clamps)
    }

    private func error(from a: Pose, to b: Pose, weight: Double) -> [Double] {
        let dp = zip(b.position, a.position).map { $0 - $1 }
        let w = Pose.rotationVector(Pose.multiply(b.rotation, Pose.transpose(a.rotation)))
        return dp + w.map { $0 * weight }
    }
}

private func norm(_ v: [Double]) -> Double { sqrt(v.reduce(0) { $0 + $1 * $1 }) }

/// Solves a small dense system by Gaussian elimination with partial pivoting.
private func solve(_ a0: [[Double]], _ b0: [Double]) -> [Double]? {
    var a = a0, b = b0
    let n = b.count
    for c in 0..<n {
        guard let p = (c..<n).max(by: { abs(a[$0][c]) < abs(a[$1][c]) }), abs(a[p][c]) > 1e-12 else { return nil }
        a.swapAt(c, p); b.swapAt(c, p)
        for r in (c + 1)..<n {
            let f = a[r][c] / a[c][c]
            for k in c..<n { a[r][k] -= f * a[c][k] }
            b[r] -= f * b[c]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for r in stride(from: n - 1, through: 0, by: -1) {
        var sum = b[r]
        for k in (r + 1)..<n { sum -= a[r][k] * x[k] }
        x[r] = sum / a[r][r]
    }
    return x
}

/// A rigid transform: rotation (3×3, row-major) and translation in metres.
public struct Pose: Sendable, Equatable {
    /// Row-major 3×3 rotation.
    public var rotation: [Double]
    /// Translation.
    public var position: [Double]

    /// The identity.
    public static let identity = Pose(xyz: [0, 0, 0], rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1])

    /// A transform from a translation and a rotation matrix.
    public init(xyz: [Double], rotation: [Double]) {
        self.position = xyz
        self.rotation = rotation
    }

    /// A transform from URDF `xyz` and `rpy` (R = Rz(y)·Ry(p)·Rx(r)).
    public init(xyz: [Double], rpy: [Double]) {
        let (cr, sr) = (cos(rpy[0]), sin(rpy[0]))
        let (cp, sp) = (cos(rpy[1]), sin(rpy[1]))
        let (cy, sy) = (cos(rpy[2]), sin(rpy[2]))
        var m = [Double](repeating: 0, count: 9)
        m[0] = cy * cp
        m[1] = cy * sp * sr - sy * cr
        m[2] = cy * sp * cr + sy * sr
        m[3] = sy * cp
        m[4] = sy * sp * sr + cy * cr
        m[5] = sy * sp * cr - cy * sr
        m[6] = -sp
        m[7] = cp * sr
        m[8] = cp * cr
        self.init(xyz: xyz, rotation: m)
    }

    /// A rotation about z.
    public init(rotationZ a: Double) {
        self.init(xyz: [0, 0, 0], rotation: [cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1])
    }

    public static func * (a: Pose, b: Pose) -> Pose {
        let r = multiply(a.rotation, b.rotation)
        var p = a.position
        for i in 0..<3 {
            for k in 0..<3 { p[i] += a.rotation[i * 3 + k] * b.position[k] }
        }
        return Pose(xyz: p, rotation: r)
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var m = [Double](repeating: 0, count: 9)
        for i in 0..<3 {
            for j in 0..<3 {
                for k in 0..<3 { m[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j] }
            }
        }
        return m
    }

    static func transpose(_ a: [Double]) -> [Double] { [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]] }

    /// The rotation vector (axis × angle) of a rotation matrix.
    static func rotationVector(_ r: [Double]) -> [Double] {
        let c = max(-1, min(1, (r[0] + r[4] + r[8] - 1) / 2))
        let angle = acos(c)
        let v = [r[7] - r[5], r[2] - r[6], r[3] - r[1]]
        if angle < 1e-9 { return v.map { $0 / 2 } }
        let s = sin(angle)
        if s < 1e-6 {
            // Near π: axis from the diagonal.
            let x = sqrt(max(0, (r[0] + 1) / 2)), y = sqrt(max(0, (r[4] + 1) / 2)), z = sqrt(max(0, (r[8] + 1) / 2))
            return [x * angle, (r[1] >= 0 ? y : -y) * angle, (r[2] >= 0 ? z : -z) * angle]
        }
        return v.map { $0 * angle / (2 * s) }
    }
}
