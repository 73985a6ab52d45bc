import Actuation
import Foundation
import RobotCore
import Testing
import TestSupport
@testable import Simulation

/// What a policy that reads the arm's state is given: the tool point by forward kinematics
/// (the point the simulator calls the gripper), and joint positions by name.
@Suite struct StateFeatureTests {
    @Test func theToolPointIsWhereTheSimulatorPutsTheGripper() throws {
        let world = try SimulatedWorld.kinematic()
        _ = try world.reset(seed: 3, family: .push)
        for start in [SIMD3<Double>(-0.09, -0.13, 0.08), SIMD3(0.08, -0.23, 0.03)] {
            _ = try world.startGripper(at: start)
            let q = try world.arm.observe()
            let v = try StateFeatures.values(["tool.x", "tool.y", "tool.z"], joints: q, kinematics: world.kinematics)
            let g = world.scene.gripper.position
            #expect(abs(v[0] - g.x) < 1e-9 && abs(v[1] - g.y) < 1e-9 && abs(v[2] - g.z) < 1e-9, "\(v) vs \(g)")
            // Order follows the request; joints by LeRobot's observation names.
            let w = try StateFeatures.values(["tool.z", "shoulder_pan.pos", "gripper.pos"], joints: q, kinematics: world.kinematics)
            #expect(w == [v[2], q["shoulder_pan"]!, q["gripper"]!])
        }
    }

    /// The bundled model's parity sample keeps, for a model that reads the tool point, the
    /// joint positions recorded with each frame and the tool point numpy's forward kinematics
    /// made of them in training (Models/tools/train_policy.py): the runtime must give the
    /// model the same numbers.
    @Test func theToolPointMatchesTheTrainersForwardKinematics() throws {
        struct Case: Decodable { var joint_names: [String]?; var joints: [Double]?; var state: [Double]? }
        struct Cases: Decodable { var cases: [Case] }
        let url = TestSupport.repositoryRoot.appendingPathComponent("Models/sim-tabletop-vla/parity/cases.json")
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url)).cases.filter { $0.state != nil }
        let kinematics = try SerialChainKinematics.so101()
        for c in cases {
            let q = JointPositions(names: try #require(c.joint_names), values: try #require(c.joints))
            let v = try StateFeatures.values(["tool.x", "tool.y", "tool.z"], joints: q, kinematics: kinematics)
            #expect(zip(v, c.state!).allSatisfy { abs($0 - $1) < 1e-9 }, "swift \(v) numpy \(c.state!)")
        }
    }

    @Test func featuresAnArmCannotGiveAreTypedErrorsNamingThem() throws {
        let q = JointPositions(names: ["shoulder_pan", "gripper"], values: [0.1, 0.5])
        #expect(throws: StateFeatureError.unknownFeature("tool.speed")) {
            try StateFeatures.values(["tool.speed"], joints: q, kinematics: nil)
        }
        #expect(throws: StateFeatureError.noKinematics(feature: "tool.z", arm: "koch on /dev/ttyUSB0")) {
            try StateFeatures.values(["tool.z"], joints: q, kinematics: nil, armName: "koch on /dev/ttyUSB0")
        }
        #expect(throws: StateFeatureError.noSuchJoint(feature: "elbow_flex.pos", joints: ["shoulder_pan", "gripper"])) {
            try StateFeatures.values(["elbow_flex.pos"], joints: q, kinematics: nil)
        }
        // The tool point needs every joint of the chain.
        #expect(throws: StateFeatureError.self) {
            try StateFeatures.values(["tool.x"], joints: q, kinematics: try SerialChainKinematics.so101())
        }
        #expect(try StateFeatures.values([], joints: q, kinematics: nil).isEmpty)
    }
}
