import Foundation
import LinuxSupport
@testable import NativeEncode
import Testing
import WorkerProtocol

@Suite("The worker's typed request")
struct WorkerRequestTests {
    @Test("an encode request survives the trip through its JSON line unchanged")
    func roundTrip() throws {
        var settings = EncodeSettings()
        settings.encoder = .svt
        settings.preset = 6
        settings.crf = 30
        settings.qualityTier = .high
        settings.bitDepth = 8
        settings.filmGrain = 4
        settings.cpus = CPUSet([0, 1, 2, 3, 8])
        settings.threads = 4
        settings.keyframeInterval = 240
        settings.segment = Segment(start: 1.5, frames: 48)
        settings.chunks = .workers(3)
        let request = WorkerRequest.encode("/media/a film.mp4", to: "/var/lib/av1d/temp/x.mkv.tmp", settings: settings,
                                           workFolder: "/var/lib/av1d/temp/chunks-0123")
        let line = try request.line()
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false, "one request is one line")
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains("\"cpus\":\"0-3,8\""), "CPU sets travel in the kernel's list form: \(text)")
        #expect(text.contains("\"bit_depth\":8"), "keys are snake_case like every av1d JSON: \(text)")
        #expect(text.contains("\"work_folder\":\"/var/lib/av1d/temp/chunks-0123\"") && text.contains("\"chunks\":3"), "\(text)")
        #expect(try WorkerRequest.parse(line.dropLast()) == request)
        #expect(try WorkerRequest.parse(WorkerRequest.probe("/media/b.mkv").line()) == .probe("/media/b.mkv"))
    }

    @Test("an unknown field is refused with its name, at the top and inside the settings", arguments: [
        (#"{"task":"probe","input":"/a.mkv","priority":3}"#, #"unknown field "priority""#),
        (#"{"task":"encode","input":"/a","output":"/b","settings":{"crf":30,"turbo":true}}"#,
         #"unknown field "turbo" in "settings""#),
        (#"{"task":"encode","input":"/a","output":"/b","settings":{"bit_depth":10,"film_grane":3,"zz":1}}"#,
         #"unknown fields "film_grane", "zz" in "settings""#),
    ])
    func unknownField(line: String, expected: String) {
        #expect {
            _ = try WorkerRequest.parse(Data(line.utf8))
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test("malformed and incomplete requests say what is wrong", arguments: [
        ("not json", "malformed worker request"),
        (#"{"task":"transcode","input":"/a"}"#, "\"task\""),
        (#"{"task":"probe"}"#, "\"input\" is missing"),
        (#"{"task":"encode","input":"/a"}"#, "an encode request needs \"output\" and \"settings\""),
    ])
    func malformed(line: String, expected: String) {
        #expect {
            _ = try WorkerRequest.parse(Data(line.utf8))
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test("a worker given an unknown field refuses the job and says why on its stdout")
    func workerRefuses() throws {
        let binary = Binaries.av1d
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = WorkerRequest.arguments
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data((#"{"task":"probe","input":"/x.mkv","nice":5}"# + "\n").utf8))
        try input.fileHandleForWriting.close()
        let said = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 64)
        let message = try #require(WorkerMessage.parse(said.prefix { $0 != UInt8(ascii: "\n") }))
        #expect(message.event == .failed)
        #expect(message.reason?.contains(#"unknown field "nice""#) == true, "\(message.reason ?? "")")
    }
}

@Suite("Worker messages")
struct WorkerMessageTests {
    @Test("every message kind survives its JSON line, acronym-named fields included")
    func roundTrip() throws {
        var probe = try #require(WorkerMessage.parse(Data(#"{"event":"probed","probe":{"format_name":"matroska,webm","has_video":true,"video_codec":"hevc","width":3840,"height":2160,"pixel_format":"yuv420p10le","bit_depth":10,"frame_rate":23.976,"duration_seconds":7200,"estimated_frames":172627,"bit_rate":40000000,"is_hdr":true,"dynamic_hdr":"Dolby Vision"}}"#.utf8)))
        #expect(probe.probe?.isHDR == true && probe.probe?.dynamicHDR == .dolbyVision)
        probe = try #require(WorkerMessage.parse(probe.line().dropLast()))
        #expect(probe.probe?.isHDR == true && probe.probe?.dynamicHDR == .dolbyVision && probe.probe?.height == 2160)

        let summary = EncodeSummary(
            input: "/a.mp4", output: "/b.mkv", encoder: "SVT-AV1", preset: 4, crf: 23, bitDepth: 10, threads: 2,
            cpus: CPUSet([0, 1]), width: 1920, height: 1080, framesDecoded: 100, framesEncoded: 100, durationSeconds: 4,
            wallSeconds: 9, fps: 11, inputBytes: 1000, outputBytes: 500, peakRSSBytes: 600 << 20,
            peakQueuedFrameBytes: 3 << 20, streamKinds: ["video", "audio"],
            source: SourceFacts(formatName: "mov,mp4,m4a,3gp,3g2,mj2", startSeconds: 0, declaredSeconds: 4, streams: [
                .init(index: 0, kind: .video, codec: "h264", durationSeconds: 4, frameCount: 100),
                .init(index: 1, kind: .audio, codec: "adpcm_ima_qt"),
            ]),
            streams: [StreamDecision(index: 1, kind: "audio", codec: "adpcm_ima_qt", action: .convert(to: .opus(bitRate: 128_000)),
                                     why: "Matroska cannot hold adpcm_ima_qt")],
            fates: [StreamFate(sourceIndex: 0, outcome: .encoded, outputKind: "video", outputCodec: "av1"),
                    StreamFate(sourceIndex: 1, outcome: .converted, outputKind: "audio", outputCodec: "opus")],
            notes: ["a note"])
        let verified = try #require(WorkerMessage.parse(WorkerMessage(event: .verified, summary: summary).line().dropLast()))
        #expect(verified.summary?.peakRSSBytes == 600 << 20 && verified.summary?.cpus == CPUSet([0, 1]))
        #expect(verified.summary?.source == summary.source && verified.summary?.streams == summary.streams)
        #expect(verified.summary?.fates == summary.fates)
    }
}

@Suite("The prediction gate")
struct PredictionGateTests {
    private func prediction(ratio: Double) -> SizePrediction {
        SizePrediction(samples: 4, sampleSeconds: 24, videoBytes: Int64(ratio * 1000) - 100, otherBytes: 100,
                       originalBytes: 1000, ssimY: 0.98, psnrY: 40, qualityNote: nil, cpuSeconds: 10, wallSeconds: 5)
    }

    @Test("skips at or above max_size_ratio × (1 + margin), with the reason; encodes titles near the threshold")
    func verdicts() {
        let gate = PredictionGate(maxSizeRatio: 0.9, margin: 0.25)
        #expect(gate.refusal(of: prediction(ratio: 1.48))
                == "predicted 1.48x of the original from 4 samples (24 s); threshold 0.90 (skipped from 1.12x: 25% margin for prediction error)")
        #expect(gate.refusal(of: prediction(ratio: 1.125)) != nil)
        #expect(gate.refusal(of: prediction(ratio: 1.124)) == nil)
        #expect(gate.refusal(of: prediction(ratio: 0.95)) == nil, "over the threshold but within the margin: encoded in full")
    }

    @Test("a request with a gate survives its JSON line")
    func roundTrip() throws {
        let request = WorkerRequest.encode("/in.mkv", to: "/out.mkv", settings: EncodeSettings(),
                                           prediction: PredictionGate(maxSizeRatio: 0.9, margin: 0.1))
        #expect(try WorkerRequest.parse(try request.line().dropLast()) == request)
    }
}
