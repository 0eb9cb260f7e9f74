#!/usr/bin/env node
// An LwM2M device built on Telefónica's lwm2m-node-lib (npm), used by
// app/interop_node_test.go to check Shoal against an independent client.
//
// Usage: node nodelib-client.js HOST PORT ENDPOINT [INTERVAL_MS]
// The library is found through NODE_PATH (the test points it at
// $SHOAL_NODE_INTEROP_DIR/node_modules).
//
// It registers Device /3/0 and Temperature /3303/0, changes the
// temperature every INTERVAL_MS (default 200), and logs one line per
// event on stdout, each starting with "interop: ". On SIGUSR2 it sends a
// registration update (the library sends it from a new socket, so from a
// new port, and starts a second listener there). On SIGTERM or SIGINT it
// de-registers and exits 0.
'use strict';

var lwm2m = require('lwm2m-node-lib').client;

var args = process.argv.slice(2);
if (args.length < 3) {
    console.error('usage: nodelib-client.js HOST PORT ENDPOINT [INTERVAL_MS]');
    process.exit(2);
}
var host = args[0],
    port = Number(args[1]),
    endpoint = args[2],
    interval = Number(args[3] || 200);

function describe(err) {
    return (err.name || 'Error') + ': ' + (err.message || JSON.stringify(err));
}

function log(msg) {
    console.log('interop: ' + msg);
}

lwm2m.init({
    logLevel: 'FATAL',
    client: {
        lifetime: '300',
        version: '1.0',
        logLevel: 'FATAL',
        observe: {period: 3000},
        ipProtocol: 'udp4',
        serverProtocol: 'udp4',
        formats: [{name: 'lightweightm2m/text', value: 1541}],
        writeFormat: 'lightweightm2m/text'
    }
});

var resources = [
    ['/3/0', '0', 'Telefonica'],
    ['/3/0', '1', 'lwm2m-node-lib'],
    ['/3/0', '3', '1.4.0'],
    ['/3/0', '15', 'Europe/Madrid'],
    ['/3303/0', '5700', '21.5'],
    ['/3303/0', '5701', 'Cel']
];

function step(list, fn, done) {
    if (list.length === 0) {
        return done();
    }
    fn(list[0], function(err) {
        if (err) {
            log('setup error ' + err);
            process.exit(1);
        }
        step(list.slice(1), fn, done);
    });
}

var deviceInfo = null,
    ticker = null,
    stopping = false,
    temperature = 21.5;

function handlers(info) {
    lwm2m.setHandler(info.serverInfo, 'read', function(objectType, objectId, resourceId, value, callback) {
        log('read /' + objectType + '/' + objectId + '/' + resourceId + ' = ' + value);
        callback(null, value);
    });
    lwm2m.setHandler(info.serverInfo, 'write', function(objectType, objectId, resourceId, value, callback) {
        log('write /' + objectType + '/' + objectId + '/' + resourceId + ' = ' + value);
        callback(null);
    });
    lwm2m.setHandler(info.serverInfo, 'execute', function(objectType, objectId, resourceId, value, callback) {
        log('execute /' + objectType + '/' + objectId + '/' + resourceId + ' args=' + JSON.stringify(value));
        callback(null);
    });
}

function tick() {
    temperature = Math.round((temperature + 0.25) * 100) / 100;
    lwm2m.registry.setResource('/3303/0', '5700', String(temperature), function(err) {
        if (err) {
            log('set temperature error ' + err);
        } else {
            log('temperature ' + temperature);
        }
    });
}

function stop() {
    if (stopping) {
        return;
    }
    stopping = true;
    if (ticker) {
        clearInterval(ticker);
    }
    if (!deviceInfo) {
        log('exit before registration');
        process.exit(0);
    }
    lwm2m.unregister(deviceInfo, function(err) {
        log(err ? 'deregister error ' + describe(err) : 'deregistered');
        process.exit(err ? 1 : 0);
    });
}

function update() {
    if (!deviceInfo || stopping) {
        return;
    }
    lwm2m.update(deviceInfo, function(err, info) {
        if (err) {
            log('update error ' + describe(err));
            return;
        }
        deviceInfo = info;
        handlers(info);
        log('updated port=' + info.localPort);
    });
}

process.on('SIGUSR2', update);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

step(['/3/0', '/3303/0'], function(uri, cb) { lwm2m.registry.create(uri, cb); }, function() {
    step(resources, function(r, cb) { lwm2m.registry.setResource(r[0], r[1], r[2], cb); }, function() {
        lwm2m.register(host, port, '', endpoint, function(err, info) {
            if (err) {
                log('register error ' + describe(err));
                process.exit(1);
            }
            deviceInfo = info;
            handlers(info);
            log('registered location=' + info.location + ' port=' + info.localPort);
            ticker = setInterval(tick, interval);
        });
    });
});
