import Foundation
import RobotCore
import Testing
@testable import Episodes

@Suite("Episode export")
struct EpisodeExportTests {
    @Test("CSV: a header naming every joint and action value, one row per step, frames as PNG files")
    func csv() throws {
        let parent = try Fixture.temporary("export-csv")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(4, in: parent, encoding: .jpeg)
        let out = parent.appendingPathComponent("out")
        var calls: [Int] = []
        let result = try EpisodeExporter.export(try EpisodeReader(url: url), to: out, format: .csv) { done, total in
            #expect(total == 4)
            calls.append(done)
        }
        #expect(calls == [1, 2, 3, 4])
        #expect(result.steps == 4 && result.frames == 4)
        let text = try String(contentsOf: out.appendingPathComponent("steps.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 6 && lines.last == "")
        #expect(lines[0] == "index,time,elapsed,state.shoulder,state.elbow,state.gripper,action.x,action.y,action.z,action.roll,action.pitch,action.yaw,action.gripper,sent.shoulder,sent.elbow,sent.gripper,clamped,done,reward,tokens,frame")
        #expect(lines[1] == "0,1000.0,0.0,0.0,-0.5,0.75,0.01,-0.02,0.0,0.0,0.1,-0.1,1.0,0.2,-0.5,0.75,shoulder,0,,31744 31800 31872,frames/000000.png")
        #expect(lines[3].hasPrefix("2,1000.2,0.20000000000004547,0.2,-0.5,0.75,0.01,-0.02,0.01,"))
        for i in 0..<4 {
            let png = try Data(contentsOf: out.appendingPathComponent(String(format: "frames/%06d.png", i)))
            #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        }
        let meta = try EpisodeReader.readMetadata(out.appendingPathComponent("meta.json").path)
        #expect(meta.instruction == "touch the red cube")
    }

    @Test("PNG frames are exported byte for byte and decode to the recorded pixels")
    func pngFrames() throws {
        let parent = try Fixture.temporary("export-png")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(2, in: parent, encoding: .png)
        let out = parent.appendingPathComponent("out")
        try EpisodeExporter.export(try EpisodeReader(url: url), to: out, format: .jsonl)
        let png = [UInt8](try Data(contentsOf: out.appendingPathComponent("frames/000001.png")))
        let image = try png.withUnsafeBytes { try OpenCVFrameCodec(encoding: .png).decode($0, width: 32, height: 24, format: .rgb) }
        #expect(image == Fixture.frame(1).image)
        #expect(try EpisodeReader(url: url).encodedFrame(at: 1)?.bytes == png)
    }

    @Test("JSON Lines: one object per step with named values")
    func jsonl() throws {
        let parent = try Fixture.temporary("export-jsonl")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(3, in: parent, encoding: nil)
        let out = parent.appendingPathComponent("out")
        let result = try EpisodeExporter.export(try EpisodeReader(url: url), to: out, format: .jsonl)
        #expect(result.frames == 0)
        let lines = try String(contentsOf: out.appendingPathComponent("steps.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == 3)
        let first = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        #expect(first["index"] as? Int == 1)
        #expect((first["state"] as? [String: Double])?["shoulder"] == 0.1)
        #expect((first["action"] as? [String: Double])?["gripper"] == 0)
        #expect((first["info"] as? [String: String])?["note"] == "a, \"quoted\" note")
        #expect(first["frame"] == nil)
    }
}
