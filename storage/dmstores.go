package storage

import "github.com/shoal-iot/shoal/dm"

// Stores returns every repository dm needs over this store. Writer and
// Retention, dm's optional background services, are left for the caller
// (NewTelemetryWriter, NewRetention).
func (s *Store) Stores() dm.Stores {
	return dm.Stores{
		Devices: s.Devices(), Credentials: s.Credentials(), Profiles: s.Profiles(), Customers: s.Customers(),
		Users: s.Users(), Tokens: s.Tokens(), Registrations: s.Registrations(), Observations: s.Observations(),
		Attributes: s.Attributes(), Telemetry: s.Telemetry(), Events: s.Events(), Commands: s.Commands(),
		Alarms: s.Alarms(), AlarmRules: s.AlarmRules(), Assets: s.Assets(), Relations: s.Relations(),
		Webhooks: s.Webhooks(), Deliveries: s.Deliveries(), Audit: s.Audit(), Batch: s,
	}
}
