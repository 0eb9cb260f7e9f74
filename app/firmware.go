package app

import (
	"fmt"
	"net"

	"github.com/shoal-iot/shoal/firmware"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// Firmware over the air is wired here: images are files in
// Config.FirmwareDir (the data directory's firmware/ folder by default),
// devices pull packages by CoAP and CoAPS from the LwM2M listeners (the
// server's Files hook) and by HTTP(S) from the API port (api's
// GET /fw/{token}), and dm is told those prefixes through a Locator.
//
// Why the data directory and not the database, also on PostgreSQL:
// images are large (64 MiB and more) and are read block by block, at any
// offset, by many devices at once. As files they stream in with their
// SHA-256 computed on the way, are served from the page cache, and keep
// the database, its WAL, replicas and backups small. A multi-node
// deployment on one PostgreSQL database therefore needs FirmwareDir to be
// one shared directory (NFS, a cloud file share, a shared volume) mounted
// on every node: whichever node delivers a job must find the image's
// file. A node that does not fails the job with reason "image-missing"
// rather than serve anything else.

// enableFirmware opens the image directory, turns dm's firmware feature
// on with a locator filled in as the listeners bind, and sets the
// LwM2M server's Files hook to the CoAP(S) file service. Call it after
// dm.New and before server.New.
func (a *App) enableFirmware(scfg *server.Config) error {
	dir, err := firmware.NewDir(a.cfg.FirmwareDir)
	if err != nil {
		return err
	}
	a.fwLoc = firmware.NewLocator()
	fcfg := a.cfg.Firmware
	fcfg.Packages = a.fwLoc
	if err := a.svc.EnableFirmware(a.store.FirmwareStores(), dir, fcfg); err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	files, err := firmware.NewFiles(a.svc, 0, a.log.With().Str("component", "firmware").Logger())
	if err != nil {
		return err
	}
	scfg.Files = files
	return nil
}

// locateCoAP points the coap and coaps package prefixes at the bound
// LwM2M listeners (call after server.New), and the http(s) prefix at the
// API port when that port is fixed in the configuration.
func (a *App) locateCoAP() {
	host := a.publicHost()
	a.fwLoc.Set("coap", firmware.Prefix("coap", host, a.srv.UDPAddr(), fwPath))
	a.fwLoc.Set("coaps", firmware.Prefix("coaps", host, a.srv.DTLSAddr(), fwPath))
	if a.cfg.HTTPAddr == "" {
		return
	}
	if addr, err := net.ResolveTCPAddr("tcp", a.cfg.HTTPAddr); err == nil && addr.Port != 0 {
		a.fwLoc.Set(a.httpScheme(), firmware.Prefix(a.httpScheme(), host, addr, fwPath))
	}
}

// locateHTTP points the http(s) prefix at the API's bound port (call
// once the API listens: a port chosen by the OS is known only then).
func (a *App) locateHTTP() {
	if addr := a.HTTPAddr(); addr != nil {
		a.fwLoc.Set(a.httpScheme(), firmware.Prefix(a.httpScheme(), a.publicHost(), addr, fwPath))
	}
}

// fwPath is the path packages are served under on every port: the LwM2M
// server's FilesPath default and api's /fw/{token}.
const fwPath = "fw"

func (a *App) httpScheme() string {
	if a.cfg.TLSCert != "" {
		return "https"
	}
	return "http"
}

// PackagePrefix returns where devices fetch firmware packages by scheme
// (coap, coaps, http, https); ok is false for a scheme not served.
func (a *App) PackagePrefix(scheme string) (string, bool) { return a.fwLoc.PackagePrefix(scheme) }
