// A custom control loop driving the simulated arm with one's own stopping rule.
//
//     swift run sim-custom-loop [seed] [reach|push|pick]
//
// The scripted expert plays the policy: it sees only the scene and answers with the
// same end-effector delta actions a VLA model produces. The loop is ours: it prints
// every step and stops when the gripper has held still for three steps after the
// task succeeded, or after 80 steps — not at the world's own success signal.
import RobotCore
import Simulation

let arguments = CommandLine.arguments.dropFirst()
let seed = arguments.first.flatMap { UInt64($0) } ?? 7
let family = arguments.dropFirst().first.flatMap { TaskFamily(rawValue: $0) } ?? .pick

let world = try SimulatedWorld.kinematic()      // a KinematicArm on a SimulationClock: runs instantly
world.maxSteps = .max                           // our rule decides when to stop
let task = try world.reset(seed: seed, family: family)
var expert = ScriptedExpert(seed: seed)
expert.reset(for: task)
try world.camera.open()

print("seed \(seed): \"\(task.instruction)\" — \(world.scene.objects.map(\.name).joined(separator: ", "))")
var stillSteps = 0
var lastFrame: UInt64? = nil
for _ in 0..<80 {
    let frame = try world.camera.latestFrame(newerThan: lastFrame)   // what a policy would look at
    lastFrame = frame.sequence
    let action = expert.action(for: world.scene, task: task, timestamp: frame.timestamp)
    let step = try world.step(action)
    let g = step.scene.gripper
    let moved = action.values[0..<3].map { $0 * $0 }.reduce(0, +).squareRoot()
    print(String(format: "step %3d  t=%.2fs  frame %llu  move %.1f mm  gripper (%.3f, %.3f, %.3f) open %.2f%@%@",
                 step.index, step.timestamp.seconds, frame.sequence, moved * 1000, g.position.x, g.position.y,
                 g.position.z, g.opening, step.isSuccess ? "  success" : "",
                 step.sent.wasClamped ? "  clamped: \(step.sent.clamps)" : ""))
    stillSteps = step.isSuccess && moved < 0.001 ? stillSteps + 1 : 0
    if stillSteps == 3 { break }
}
print(world.isSuccess ? "done after \(world.stepCount) steps" : "gave up after \(world.stepCount) steps")
