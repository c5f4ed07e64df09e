package cmssim

import (
	"math"
	"math/rand/v2"
	"time"
)

// media is a leg's baseline; live values drift around it as a function of the time since the
// emulator started, so repeated GETs look alive yet stay in realistic ranges.
type media struct {
	audioCodec string
	videoCodec string // "" for an audio-only leg
	width      uint16
	height     uint16
	frameRate  float32
	loss       float32 // percent
	jitter     uint16  // ms
	rtt        uint16  // ms
	videoKbps  uint16
	cipher     uint8 // index into cipherSuites
	phase      float32
}

// Alarm thresholds the emulator applies; CMS does not document its own, these make the demo's
// bad legs (loss > 3 %, jitter > 40 ms) raise alarms.
const (
	alarmLossPercent = 3.0
	alarmJitterMs    = 40
	alarmRoundTripMs = 300
)

var (
	audioCodecs  = []string{"opus", "opus", "opus", "g722", "aac"}
	videoCodecs  = []string{"h264", "h264", "h264", "vp8"}
	cipherSuites = []string{"AEAD_AES_256_GCM", "AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"}
	resolutions  = [][2]uint16{{1920, 1080}, {1280, 720}, {1280, 720}, {960, 540}, {640, 360}, {640, 480}}
	frameRates   = []float32{30, 30, 25, 15}
)

func (st *state) mediaFor(ps ParticipantSpec) media {
	r := st.rng
	m := randomMedia(r)
	spec := ps.Media
	if spec.AudioOnly {
		m.videoCodec = ""
	}
	if spec.AudioCodec != "" {
		m.audioCodec = spec.AudioCodec
	}
	if spec.VideoCodec != "" && !spec.AudioOnly {
		m.videoCodec = spec.VideoCodec
	}
	if spec.Width > 0 && spec.Height > 0 {
		m.width, m.height = clampU16(spec.Width), clampU16(spec.Height)
	}
	if spec.FrameRate > 0 {
		m.frameRate = float32(spec.FrameRate)
	}
	if spec.PacketLoss > 0 {
		m.loss = float32(spec.PacketLoss)
	}
	if spec.Jitter > 0 {
		m.jitter = clampU16(spec.Jitter)
	}
	if spec.RoundTrip > 0 {
		m.rtt = clampU16(spec.RoundTrip)
	}
	return m
}

func randomMedia(r *rand.Rand) media {
	res := resolutions[r.IntN(len(resolutions))]
	m := media{
		audioCodec: audioCodecs[r.IntN(len(audioCodecs))],
		videoCodec: videoCodecs[r.IntN(len(videoCodecs))],
		width:      res[0], height: res[1],
		frameRate: frameRates[r.IntN(len(frameRates))],
		loss:      float32(r.IntN(8)) / 10, // 0.0–0.7 %
		jitter:    uint16(2 + r.IntN(14)),
		rtt:       uint16(4 + r.IntN(60)),
		cipher:    uint8(r.IntN(len(cipherSuites))),
		phase:     r.Float32() * 2 * math.Pi,
	}
	m.videoKbps = uint16(int(m.width) * int(m.height) / 1000 * 2) // ≈2 bits/pixel/s·1000: 1080p ≈ 4 Mb/s
	return m
}

func linkMedia(r *rand.Rand) media {
	m := randomMedia(r)
	m.audioCodec, m.videoCodec, m.width, m.height, m.frameRate = "opus", "h264", 1920, 1080, 30
	m.loss, m.jitter, m.rtt = 0, uint16(1+r.IntN(3)), uint16(1+r.IntN(4))
	return m
}

func clampU16(v int) uint16 { return uint16(min(max(v, 0), math.MaxUint16)) }

// drift is a smooth factor in [1-a, 1+a]: one period every few minutes, offset per leg and stream.
func drift(m media, since time.Duration, k float64, a float64) float64 {
	t := since.Seconds() / 97
	return 1 + a*math.Sin(float64(m.phase)+k*1.7+t*2*math.Pi)
}

// streamStats are the live values of one stream at one moment.
type streamStats struct {
	codec     string
	width     int
	height    int
	frameRate float64
	bitRate   int
	loss      float64
	jitter    int
	rtt       int
}

// liveStats returns rxAudio, txAudio, rxVideo, txVideo (video zero when audio-only).
func (m media) liveStats(since time.Duration) (rxA, txA, rxV, txV streamStats) {
	lossAt := func(k float64) float64 { return math.Round(float64(m.loss)*drift(m, since, k, 0.15)*10) / 10 }
	jitAt := func(k float64) int {
		return int(float64(m.jitter) * drift(m, since, k, 0.15))
	}
	audioRate := map[string]int{"opus": 64000, "g722": 64000, "aac": 128000, "g711u": 64000, "g711a": 64000}[m.audioCodec]
	if audioRate == 0 {
		audioRate = 48000
	}
	rxA = streamStats{codec: m.audioCodec, loss: lossAt(0), jitter: jitAt(1),
		bitRate: int(float64(audioRate) * 0.6 * drift(m, since, 2, 0.1))}
	txA = streamStats{codec: m.audioCodec, loss: lossAt(3) / 2, jitter: max(1, jitAt(4)/3), bitRate: audioRate,
		rtt: int(float64(m.rtt) * drift(m, since, 5, 0.2))}
	if m.videoCodec == "" {
		return rxA, txA, rxV, txV
	}
	fps := func(k float64) float64 {
		return math.Round(min(float64(m.frameRate), float64(m.frameRate)*drift(m, since, k, 0.12))*10) / 10
	}
	kbps := float64(m.videoKbps) * 1000
	rxV = streamStats{codec: m.videoCodec, width: int(m.width), height: int(m.height), frameRate: fps(6),
		bitRate: int(kbps * drift(m, since, 7, 0.2)), loss: lossAt(8), jitter: jitAt(9)}
	txV = streamStats{codec: m.videoCodec, width: int(m.width), height: int(m.height), frameRate: fps(10),
		bitRate: int(kbps * 0.8 * drift(m, since, 11, 0.2)), loss: lossAt(12) / 2, jitter: max(1, jitAt(13)/3),
		rtt: txA.rtt}
	return rxA, txA, rxV, txV
}

// alarms lists the callLeg alarm element names the live stats raise.
func (m media) alarms(since time.Duration) []string {
	rxA, txA, rxV, _ := m.liveStats(since)
	var out []string
	if max(rxA.loss, rxV.loss) > alarmLossPercent {
		out = append(out, "packetLoss")
	}
	if max(rxA.jitter, rxV.jitter) > alarmJitterMs {
		out = append(out, "excessiveJitter")
	}
	if txA.rtt > alarmRoundTripMs {
		out = append(out, "highRoundTripTime")
	}
	return out
}
