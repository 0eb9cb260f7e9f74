package dm

import (
	"context"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// Device object (/3) resources that make up DeviceInfo.
const (
	resManufacturer = 0
	resModelNumber  = 1
	resSerialNumber = 2
	resFirmware     = 3
	resBatteryLevel = 9
)

// deviceInfo returns what a device reported in /3/0, from the cache or its
// stored attributes.
func (s *Service) deviceInfo(ctx context.Context, d models.Device) (DeviceInfo, error) {
	c := s.rt.devices
	c.mu.Lock()
	if e := c.byID[d.ID]; e != nil && e.info != nil {
		info := *e.info
		c.mu.Unlock()
		return info, nil
	}
	c.mu.Unlock()
	vs, err := s.st.Attributes.Latest(ctx, d.ID)
	if err != nil {
		return DeviceInfo{}, err
	}
	var info DeviceInfo
	applyInfo(&info, vs)
	c.mu.Lock()
	if e := c.byID[d.ID]; e != nil {
		e.info = &info
	}
	c.mu.Unlock()
	return info, nil
}

// noteInfo folds freshly stored attribute values into the cached info.
func (s *Service) noteInfo(deviceID int64, vs []models.AttributeValue) {
	c := s.rt.devices
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[deviceID]; e != nil && e.info != nil {
		info := *e.info
		applyInfo(&info, vs)
		e.info = &info
	}
}

// applyInfo copies the /3/0 values among vs into info.
func applyInfo(info *DeviceInfo, vs []models.AttributeValue) {
	for _, v := range vs {
		p := v.Path
		if p.Len() != 3 || p.Object() != 3 || p.Instance() != 0 {
			continue
		}
		switch p.Resource() {
		case resManufacturer:
			info.Manufacturer = v.Value.Text()
		case resModelNumber:
			info.Model = v.Value.Text()
		case resSerialNumber:
			info.Serial = v.Value.Text()
		case resFirmware:
			info.Firmware = v.Value.Text()
		case resBatteryLevel:
			if n, ok := v.Value.Numeric(); ok {
				b := int64(n)
				info.Battery = &b
			}
		default:
			continue
		}
		if v.UpdatedAt.After(info.UpdatedAt) {
			info.UpdatedAt = v.UpdatedAt
		}
	}
}

// isInfoPath reports whether p is one of the /3/0 resources DeviceInfo
// shows.
func isInfoPath(p lwm2m.Path) bool {
	if p.Len() != 3 || p.Object() != 3 || p.Instance() != 0 {
		return false
	}
	switch p.Resource() {
	case resManufacturer, resModelNumber, resSerialNumber, resFirmware, resBatteryLevel:
		return true
	}
	return false
}
