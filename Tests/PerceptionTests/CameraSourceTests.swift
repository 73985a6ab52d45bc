import Foundation
import RobotCore
import Testing
@testable import Perception

@Suite("Camera specifications and configuration")
struct CameraSourceTests {
    @Test(arguments: [
        ("0", CameraSource.index(0)),
        ("12", .index(12)),
        ("/dev/video2", .device("/dev/video2")),
        ("/dev/v4l/by-id/usb-046d_C920-video-index0", .device("/dev/v4l/by-id/usb-046d_C920-video-index0")),
        ("rtsp://10.0.0.2/live", .stream("rtsp://10.0.0.2/live")),
        ("clip.avi", .videoFile("clip.avi")),
        ("file:///tmp", .imageFolder("/tmp")),
    ])
    func parsesSpecifications(spec: String, expected: CameraSource) throws {
        #expect(try CameraSource(spec: spec) == expected)
    }

    @Test func rejectsBadSpecifications() {
        #expect(throws: CameraError.self) { _ = try CameraSource(spec: "") }
        #expect(throws: CameraError.self) { _ = try CameraSource(spec: "-1") }
    }

    @Test func validatesConfiguration() {
        #expect(throws: CameraError.self) { try CameraConfiguration(source: .index(0), width: 640).validate() }
        #expect(throws: CameraError.self) { try CameraConfiguration(source: .index(0), fourcc: "MJPEG").validate() }
        #expect(throws: CameraError.self) { try CameraConfiguration(source: .index(0), fps: 0).validate() }
        #expect(throws: Never.self) { try CameraConfiguration(source: .index(0), width: 640, height: 480, fps: 30).validate() }
        #expect(CameraRotation(degrees: -90) == .counterclockwise90)
        #expect(CameraRotation(degrees: 45) == nil)
    }

    @Test func sortsNamesNaturally() {
        let names = ["frame_10.png", "frame_2.png", "frame_1.png", "frame_02.png", "a.png"]
        #expect(names.sorted(by: naturalOrder) == ["a.png", "frame_1.png", "frame_2.png", "frame_02.png", "frame_10.png"])
    }

    @Test func errorMessagesNameTheDeviceAndTheFix() {
        let missing = CameraError.deviceNotFound(device: "/dev/video4", available: ["/dev/video0 (C920)"])
        #expect(missing.description.contains("/dev/video4") && missing.description.contains("/dev/video0 (C920)"))
        #expect(CameraError.permissionDenied(device: "/dev/video0").description.contains("video group"))
        #expect(CameraError.deviceBusy(device: "/dev/video0").description.contains("fuser"))
        #expect(CameraError.notACaptureDevice(device: "/dev/video1", name: "C920").description.contains("metadata"))
        let size = CameraError.unsupportedSize(device: "/dev/video0", requested: PixelSize(width: 1000, height: 1000),
                                               granted: PixelSize(width: 640, height: 480))
        #expect(size.description.contains("640x480"))
    }

    @Test func configurationsRoundTripThroughJSONWithDefaults() throws {
        let json = #"{"source": {"device": "/dev/v4l/by-id/usb-cam-video-index0"}, "width": 640, "height": 480, "rotation": 180}"#
        let decoded = try JSONDecoder().decode(CameraConfiguration.self, from: Data(json.utf8))
        #expect(decoded == CameraConfiguration(source: .device("/dev/v4l/by-id/usb-cam-video-index0"), width: 640, height: 480,
                                               rotation: .upsideDown))
        let again = try JSONDecoder().decode(CameraConfiguration.self, from: JSONEncoder().encode(decoded))
        #expect(again == decoded)
        let fourccless = #"{"source": {"index": 2}, "fourcc": null}"#
        #expect(try JSONDecoder().decode(CameraConfiguration.self, from: Data(fourccless.utf8)).fourcc == nil)
        for bad in [#"{"source": {"index": 0, "file": "x"}}"#, #"{"source": {"index": 0}, "rotation": 45}"#,
                    #"{"source": {"index": 0}, "width": 640}"#] {
            #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(CameraConfiguration.self, from: Data(bad.utf8)) }
        }
    }
}
