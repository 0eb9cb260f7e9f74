package dm

import (
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Firmware Update object (/5) resources (Core TS 1.1.1 appendix E.6, 1.2
// object 5 v1.1).
const (
	fwObject     = 5
	fwPackage    = 0  // W, opaque: the image itself (push)
	fwURI        = 1  // RW, string ≤ 255: where to fetch it (pull)
	fwUpdate     = 2  // E: install the downloaded image
	fwState      = 3  // R, integer 0..3
	fwResult     = 5  // R, integer 0..11
	fwPkgName    = 6  // R, string
	fwPkgVersion = 7  // R, string
	fwProtocols  = 8  // R, multiple integer: supported pull protocols
	fwDelivery   = 9  // R, integer: 0 pull, 1 push, 2 both
	fwCancel     = 10 // E (1.1+): cancel the download or pending update
)

// maxPackageURI is the longest Package URI /5/0/1 takes.
const maxPackageURI = 255

// Firmware Update states (/5/0/3).
const (
	fwIdle        = 0
	fwDownloading = 1
	fwDownloaded  = 2
	fwUpdating    = 3
)

// Firmware Update delivery methods (/5/0/9).
const (
	fwDeliveryPull = 0
	fwDeliveryPush = 1
	fwDeliveryBoth = 2
)

// Pull protocols (/5/0/8) and the URI scheme of each Shoal can serve.
var fwProtocolSchemes = map[int64]string{0: "coap", 1: "coaps", 2: "http", 3: "https"}

// fwStateName names a /5/0/3 value.
func fwStateName(v int64) string {
	switch v {
	case fwIdle:
		return "idle"
	case fwDownloading:
		return "downloading"
	case fwDownloaded:
		return "downloaded"
	case fwUpdating:
		return "updating"
	}
	return fmt.Sprintf("unknown state %d", v)
}

// UpdateResult is a Firmware Update Result (/5/0/5) value.
type UpdateResult int64

// Update Result codes (/5/0/5).
const (
	ResultInitial             UpdateResult = 0
	ResultSuccess             UpdateResult = 1
	ResultNoFlash             UpdateResult = 2
	ResultOutOfRAM            UpdateResult = 3
	ResultConnectionLost      UpdateResult = 4
	ResultIntegrity           UpdateResult = 5
	ResultUnsupportedPackage  UpdateResult = 6
	ResultInvalidURI          UpdateResult = 7
	ResultUpdateFailed        UpdateResult = 8
	ResultUnsupportedProtocol UpdateResult = 9
	ResultCancelled           UpdateResult = 10 // 1.1
	ResultDeferred            UpdateResult = 11 // 1.2
)

// resultReasons are the failure reasons a campaign records per Update
// Result; 0 and 1 are no failures and 11 is a state (the device deferred
// the update), not a failure.
var resultReasons = map[UpdateResult]string{
	ResultNoFlash:             "no-flash",
	ResultOutOfRAM:            "out-of-ram",
	ResultConnectionLost:      "connection-lost",
	ResultIntegrity:           "integrity",
	ResultUnsupportedPackage:  "unsupported-package",
	ResultInvalidURI:          "invalid-uri",
	ResultUpdateFailed:        "update-failed",
	ResultUnsupportedProtocol: "unsupported-protocol",
	ResultCancelled:           "cancelled-by-device",
}

// String names the result as the specification does.
func (r UpdateResult) String() string {
	switch r {
	case ResultInitial:
		return "initial value"
	case ResultSuccess:
		return "firmware updated successfully"
	case ResultNoFlash:
		return "not enough flash memory for the new package"
	case ResultOutOfRAM:
		return "out of RAM during the download"
	case ResultConnectionLost:
		return "connection lost during the download"
	case ResultIntegrity:
		return "integrity check failure"
	case ResultUnsupportedPackage:
		return "unsupported package type"
	case ResultInvalidURI:
		return "invalid URI"
	case ResultUpdateFailed:
		return "firmware update failed"
	case ResultUnsupportedProtocol:
		return "unsupported protocol"
	case ResultCancelled:
		return "firmware update cancelled"
	case ResultDeferred:
		return "firmware update deferred"
	}
	return fmt.Sprintf("unknown result %d", int64(r))
}

// Reason returns the failure reason of a failing result ("" for 0, 1 and
// 11, or a value outside the specification).
func (r UpdateResult) Reason() string { return resultReasons[r] }

// Known reports whether r is a value the specification defines.
func (r UpdateResult) Known() bool { return r >= ResultInitial && r <= ResultDeferred }

// Failure reasons a firmware job records besides the Update Result ones.
const (
	ReasonTimeout          = "timeout"            // a stage did not finish within its time
	ReasonBadState         = "bad-state"          // /5/0/3 outside 0..3 (the raw value is in the detail)
	ReasonBadResult        = "bad-result"         // /5/0/5 outside 0..11
	ReasonBadResponse      = "bad-response"       // an answer that does not decode
	ReasonNoFirmwareObject = "no-firmware-object" // the device has no /5/0
	ReasonNoMethod         = "no-delivery-method" // no protocol or method both sides support
	ReasonPushRefused      = "push-unsupported"   // 4.05 to a push and no pull to fall back to
	ReasonPullRefused      = "pull-unsupported"   // the Package URI write was refused
	ReasonTooLarge         = "too-large"          // the device refused the image's size (4.13)
	ReasonVersionMismatch  = "version-mismatch"   // success reported, but another version runs
	ReasonReset            = "reset-by-device"    // the device went back to idle without a result
	ReasonRefused          = "refused"            // the device answered an error code
	ReasonDeferred         = "deferred"           // deferred (result 11) more often than allowed
	ReasonImageMissing     = "image-missing"      // the image's bytes are not in the data directory
	ReasonIncompatible     = "incompatible-model" // the image is not for the device's model
	ReasonIncompatibleProf = "incompatible-profile"
	ReasonAlreadyCurrent   = "already-current" // the device already runs the version
	ReasonCampaignCancel   = "campaign-cancelled"
	ReasonStopTime         = "stop-time-passed"
)

// retryable reports whether a failure is worth another attempt: the link
// or the device's state may be better next time. Everything else fails at
// once (retrying an integrity failure would fail the same way).
func retryable(reason string) bool {
	switch reason {
	case ReasonTimeout, ResultConnectionLost.Reason(), ResultOutOfRAM.Reason(), ReasonReset, ReasonDeferred:
		return true
	}
	return false
}

// Firmware Update paths.
var (
	pathFwInstance  = lwm2m.InstancePath(fwObject, 0)
	pathFwPackage   = lwm2m.ResourcePath(fwObject, 0, fwPackage)
	pathFwURI       = lwm2m.ResourcePath(fwObject, 0, fwURI)
	pathFwUpdate    = lwm2m.ResourcePath(fwObject, 0, fwUpdate)
	pathFwState     = lwm2m.ResourcePath(fwObject, 0, fwState)
	pathFwResult    = lwm2m.ResourcePath(fwObject, 0, fwResult)
	pathFwCancel    = lwm2m.ResourcePath(fwObject, 0, fwCancel)
	pathFwVersion3  = lwm2m.ResourcePath(3, 0, resFirmware)
	pathFwModelNum3 = lwm2m.ResourcePath(3, 0, resModelNumber)
)
