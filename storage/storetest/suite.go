package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/storage"
)

// T0 is the suite's reference time (microsecond precision, UTC).
var T0 = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

type suiteTest struct {
	name string
	fn   func(t *testing.T, b Backend)
}

func tests() []suiteTest {
	return []suiteTest{
		{"Devices/CRUD", testDeviceCRUD},
		{"Devices/List", testDeviceList},
		{"Devices/BadInput", testDeviceBadInput},
		{"Credentials/PSK", testCredentialPSK},
		{"Credentials/X509", testCredentialX509},
		{"Credentials/WrongKey", testCredentialWrongKey},
		{"Profiles", testProfiles},
		{"Tenancy/Customers", testCustomers},
		{"Tenancy/UsersTokens", testUsersTokens},
		{"Registrations", testRegistrations},
		{"Registrations/Batch", testRegistrationBatch},
		{"Observations", testObservations},
		{"Attributes", testAttributes},
		{"Telemetry/Values", testTelemetryValues},
		{"Telemetry/Query", testTelemetryQuery},
		{"Telemetry/Downsample", testTelemetryDownsample},
		{"Telemetry/Retention", testTelemetryRetention},
		{"Events", testEvents},
		{"Events/WriteBatch", testWriteBatch},
		{"Devices/CreateBatch", testCreateDevices},
		{"Commands/FIFO", testCommandFIFO},
		{"Commands/Retry", testCommandRetry},
		{"Commands/Expiry", testCommandExpiry},
		{"Commands/Cancel", testCommandCancel},
		{"Commands/Depth", testCommandDepth},
		{"Commands/Restart", testCommandRestart},
		{"Alarms", testAlarms},
		{"Assets", testAssets},
		{"Relations", testRelations},
		{"Relations/DevicesUnderAsset", testDevicesUnderAsset},
		{"AlarmRules", testAlarmRules},
		{"Webhooks", testWebhooks},
		{"Webhooks/Deliveries", testDeliveries},
		{"Audit", testAudit},
		{"Commands/ByCustomer", testCommandsByCustomer},
		{"Firmware", testFirmware},
		{"Firmware/Jobs", testCampaignJobs},
		{"Migrations", testMigrations},
		{"Writer", testWriter},
		{"Writer/BackPressure", testWriterBackPressure},
		{"Retention", testRetentionLoop},
		{"Concurrency", testConcurrency},
	}
}

// Run runs the conformance suite against b, each test in parallel on its
// own database.
func Run(t *testing.T, b Backend) {
	for _, tc := range tests() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, b)
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks that err wraps target.
func wantErr(t testing.TB, err, target error, doing string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one wrapping %q", doing, err, target)
	}
}

func sameTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
}

// newDevice creates a device with the given endpoint.
func newDevice(t testing.TB, st *storage.Store, endpoint string) int64 {
	t.Helper()
	d := deviceNamed(endpoint)
	must(t, st.Devices().Create(t.Context(), &d))
	return d.ID
}
