import Foundation
import Episodes
import RobotCore

/// The sample episode content of the Episodes tests (`Fixture` in EpisodesTests forwards
/// here): a 3-joint arm, 7-value end-effector actions, and frames whose pixels encode the
/// step index, so a mixed-up frame is caught.
///
/// A library of its own so that the `crash-writer` helper program writes exactly the
/// steps and frames that the crash-safety test then expects to read back.
public enum EpisodeSamples {
    public static let joints = ["shoulder", "elbow", "gripper"]

    public static func metadata(encoding: FrameEncoding? = .png, instruction: String = "touch the red cube") -> EpisodeMetadata {
        EpisodeMetadata(instruction: instruction, actionSpace: .endEffectorDelta,
                        actionNames: RobotAction.endEffectorDeltaNames, jointNames: joints,
                        model: "Models/tiny-test", armProfile: "so101", arm: "sim arm on /dev/pts/9",
                        camera: .init(name: "sim", width: 32, height: 24, fps: 10), rate: 10,
                        frameEncoding: encoding, extra: ["source": "test", "seed": "7"],
                        startTimestamp: Timestamp(seconds: 1000))
    }

    public static func step(_ i: Int) -> EpisodeStep {
        let t = Timestamp(seconds: 1000 + Double(i) * 0.1)
        let q = JointPositions(names: joints, values: [0.1 * Double(i), -0.5, 0.75], timestamp: t)
        let action = RobotAction(space: .endEffectorDelta, names: RobotAction.endEffectorDeltaNames,
                                 values: [0.01, -0.02, 0.005 * Double(i), 0, 0.1, -0.1, i % 2 == 0 ? 1 : 0],
                                 timestamp: Timestamp(seconds: t.seconds + 0.05))
        let sent = JointPositions(names: joints, values: [0.1 * Double(i) + 0.2, -0.5, 0.75],
                                  timestamp: Timestamp(seconds: t.seconds + 0.06))
        let clamps = i % 3 == 0 ? [JointClamp(joint: "shoulder", requested: 0.9, sent: 0.2, reasons: [.maxStep])] : []
        return EpisodeStep(timestamp: t, observation: q, action: action, sent: sent, clamps: clamps,
                           tokens: [31744 + i, 31800, 31872], timings: ["capture": 0.004, "forward": 0.2 + Double(i) * 1e-3],
                           done: false, reward: i == 4 ? 1 : nil, info: i == 1 ? ["note": "a, \"quoted\" note"] : [:])
    }

    public static func frame(_ i: Int, width: Int = 32, height: Int = 24, format: Image.PixelFormat = .rgb) -> Frame {
        var pixels = [UInt8](repeating: 0, count: width * height * format.channels)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<format.channels {
                    pixels[(y * width + x) * format.channels + c] = UInt8((x * 7 + y * 3 + c * 50 + i * 11) & 0xFF)
                }
            }
        }
        return Frame(image: Image(width: width, height: height, format: format, pixels: pixels),
                     timestamp: Timestamp(seconds: 1000 + Double(i) * 0.1 - 0.01), sequence: UInt64(100 + i))
    }
}
