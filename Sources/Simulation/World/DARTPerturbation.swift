import Foundation
import RobotCore

/// Seeded Gaussian noise on the translation of an expert's end-effector action, for
/// demonstrations that include recoveries: the arm executes the perturbed action while
/// the expert's own action is recorded as the label.
///
/// A closed-loop expert (``ScriptedExpert`` reads the scene each tick) corrects the
/// deviation on its next step, so the recording shows states slightly off the expert's
/// path labelled with the action that leads back to it, so a policy trained on such data
/// can learn to correct its own drift (on this simulator's push task 4 mm of noise made
/// the trained policy worse: Models/README.md, run 13). This is DART (Laskey, Lee, Fox, Dragan and Goldberg,
/// "DART: Noise Injection for Robust Imitation Learning", CoRL 2017).
///
/// ```swift
/// var dart = DARTPerturbation(sigma: 0.004, seed: 7)
/// let label = expert.action(for: world.scene, task: task, timestamp: world.clock.now())
/// let step = try world.step(dart.perturbed(label))   // record `label`, not the executed action
/// ```
public struct DARTPerturbation: Sendable {
    /// The stream of ``SeededRandom/derived(seed:stream:)`` the noise is drawn from, apart
    /// from the layout's, the expert's and the random start's.
    public static let stream: UInt64 = 0xDA27

    /// The standard deviation of the noise on x and y, metres; z gets half of it.
    public let sigma: Double
    /// The largest translation executed in one step, metres (the expert's ``ScriptedExpert/maxStep``).
    public let maxStep: Double
    private var rng: SeededRandom

    /// Creates a perturbation whose noise sequence is fixed by `seed` and `task`.
    /// - Parameters:
    ///   - sigma: Standard deviation on x and y in metres (z: `sigma / 2`); 0 leaves actions unchanged.
    ///   - seed: The episode's layout seed.
    ///   - task: Which of the layout's tasks the episode poses (`vla run --target-index`), so
    ///     that the tasks of one layout get different noise; 0 for the seed's own task.
    ///   - maxStep: The translation's length is clipped to this after the noise is added.
    public init(sigma: Double, seed: UInt64, task: Int = 0, maxStep: Double = 0.02) {
        precondition(sigma >= 0 && maxStep > 0, "DARTPerturbation: sigma \(sigma) must be ≥ 0 and maxStep \(maxStep) positive")
        self.sigma = sigma
        self.maxStep = maxStep
        rng = SeededRandom.derived(seed: seed, stream: Self.stream ^ (UInt64(truncatingIfNeeded: task) << 32))
    }

    /// The action to execute for `action`: its x, y, z translation plus independent noise
    /// (σ, σ, σ/2), the length then clipped to ``maxStep``; rotation, gripper, timestamp
    /// and any other value unchanged. Actions in other spaces, and any action when
    /// ``sigma`` is 0, are returned as they are (and draw no noise).
    public mutating func perturbed(_ action: RobotAction) -> RobotAction {
        guard sigma > 0, action.space == .endEffectorDelta,
              let ix = action.names.firstIndex(of: "x"), let iy = action.names.firstIndex(of: "y"),
              let iz = action.names.firstIndex(of: "z") else { return action }
        var d = SIMD3(action.values[ix], action.values[iy], action.values[iz])
        d += SIMD3(rng.gaussian(sigma: sigma), rng.gaussian(sigma: sigma), rng.gaussian(sigma: sigma / 2))
        let n = (d * d).sum().squareRoot()
        if n > maxStep { d *= maxStep / n }
        var out = action
        (out.values[ix], out.values[iy], out.values[iz]) = (d.x, d.y, d.z)
        return out
    }
}
