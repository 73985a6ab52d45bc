import Foundation
import Perception
import RobotCore
import Testing
@testable import Simulation

/// The simulated camera: deterministic frames that show what is where.
@Suite struct RenderingTests {
    @Test func sameStateSamePixels() {
        let scene = TabletopScenario.generate(seed: 5, family: .pick).scene
        let a = TabletopRenderer().render(scene)
        let b = TabletopRenderer().render(scene)
        #expect(a == b)
        #expect(a.width == 224 && a.height == 224 && a.format == .bgr)
        var moved = scene
        moved.moveGripper(to: SIMD3(0.05, -0.15, 0.06), opening: 1)
        #expect(TabletopRenderer().render(moved) != a)
        var closed = moved
        closed.moveGripper(to: moved.gripper.position, opening: 0)
        #expect(TabletopRenderer().render(closed) != TabletopRenderer().render(moved))   // the jaws show the opening
    }

    /// Counts pixels within `radius` of `centre` whose BGR value is within 2 of `color`.
    static func count(_ image: Image, near centre: (x: Double, y: Double), radius: Int, color: DrawingColor) -> Int {
        var n = 0
        let cx = Int(centre.x.rounded()), cy = Int(centre.y.rounded())
        for y in max(0, cy - radius)...min(image.height - 1, cy + radius) {
            for x in max(0, cx - radius)...min(image.width - 1, cx + radius) {
                let i = (y * image.width + x) * 3
                let (b, g, r) = (Double(image.pixels[i]), Double(image.pixels[i + 1]), Double(image.pixels[i + 2]))
                if abs(b - color.blue) <= 2 && abs(g - color.green) <= 2 && abs(r - color.red) <= 2 { n += 1 }
            }
        }
        return n
    }

    @Test(arguments: [PixelSize(width: 224, height: 224), PixelSize(width: 320, height: 240)])
    func everyObjectShowsItsColourWhereItIs(size: PixelSize) throws {
        let renderer = TabletopRenderer(camera: .facingTheArm(size: size))
        for seed in UInt64(0)..<10 {
            var scene = TabletopScene.random(seed: seed)
            scene.gripper.position = SIMD3(0, -0.05, 0.2)    // out of the way
            let image = renderer.render(scene)
            for o in scene.objects {
                let top = try #require(renderer.camera.project(o.position + SIMD3(0, 0, o.shape.height / 2)))
                #expect(top.x > 0 && top.x < Double(size.width) && top.y > 0 && top.y < Double(size.height))
                let radius = Int(renderer.camera.focalLength * o.radius / top.depth)
                #expect(radius >= 6, "\(o.name) is only \(radius) pixels wide")
                let here = Self.count(image, near: (top.x, top.y), radius: radius, color: o.color.drawingColor)
                #expect(here >= 8, "seed \(seed): \(o.name) not visible at its projection")
                // And not somewhere else: far from every object of that colour there is none of it.
                let others = scene.objects.filter { $0.color == o.color }
                let away = (x: Double(size.width) - top.x, y: Double(size.height) - top.y)
                let farFromAll = others.allSatisfy { other in
                    let p = renderer.camera.project(other.position)!
                    return abs(p.x - away.x) > 30 || abs(p.y - away.y) > 30
                }
                if farFromAll {
                    #expect(Self.count(image, near: away, radius: 5, color: o.color.drawingColor) == 0)
                }
            }
        }
    }

    @Test func leftInTheImageIsLeftForPushes() throws {
        let camera = PinholeCameraModel.facingTheArm()
        let minusX = try #require(camera.project(SIMD3(-0.1, -0.18, 0)))
        let plusX = try #require(camera.project(SIMD3(0.1, -0.18, 0)))
        #expect(minusX.x < plusX.x)
        #expect(PushDirection.left.sign == -1 && PushDirection.right.sign == 1)
        let far = try #require(camera.project(SIMD3(0, -0.1, 0)))
        let near = try #require(camera.project(SIMD3(0, -0.25, 0)))
        #expect(far.y < near.y)       // the arm's base is at the top of the image
    }

    @Test func cameraDeliversNumberedStampedFrames() throws {
        let clock = SimulationClock(start: Timestamp(seconds: 10))
        let scene = TabletopScene.random(seed: 1)
        let camera = SimulatedCamera(size: PixelSize(width: 320, height: 240), clock: clock) { scene }
        #expect(throws: CameraError.notOpen(device: "sim:tabletop")) { _ = try camera.latestFrame() }
        try camera.open()
        let f0 = try camera.latestFrame()
        clock.advance(by: 0.1)
        let f1 = try camera.latestFrame(newerThan: f0.sequence)
        #expect(f0.sequence == 0 && f1.sequence == 1)
        #expect(f0.timestamp == Timestamp(seconds: 10))
        #expect(abs(f1.timestamp.seconds - 10.1) < 1e-9)
        #expect(f1.image == f0.image)
        #expect(f1.image.width == 320 && f1.image.height == 240 && f1.image.format == .bgr)
        #expect(f1.image == TabletopRenderer(camera: .facingTheArm(size: PixelSize(width: 320, height: 240))).render(scene))
        let f5 = try camera.latestFrame(newerThan: 4)
        #expect(f5.sequence == 5)
        #expect(camera.statistics.framesDelivered == 3)
        camera.close()
        #expect(!camera.isOpen)
    }
}
