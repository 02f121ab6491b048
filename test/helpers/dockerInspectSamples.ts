/**
 * `docker inspect <container>` output for tests, in the shape Docker 24–28 prints it
 * (trimmed of fields nothing reads): container web, 172.17.0.4 on the default bridge,
 * publishing tcp/12580 on every address and exposing udp/53 without publishing it.
 */
export const WEB_INSPECT = `[
    {
        "Id": "9c5e0d1a7b3f42e8a6c1d0b9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9",
        "Created": "2026-11-23T09:58:41.123456789Z",
        "Path": "/app/server",
        "Args": ["--port", "12580"],
        "State": {
            "Status": "running",
            "Running": true,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": 2317,
            "ExitCode": 0,
            "Error": "",
            "StartedAt": "2026-11-23T09:58:42.004511Z",
            "FinishedAt": "0001-01-01T00:00:00Z"
        },
        "Image": "sha256:4b1a2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "ResolvConfPath": "/var/lib/docker/containers/9c5e0d1a7b3f/resolv.conf",
        "HostnamePath": "/var/lib/docker/containers/9c5e0d1a7b3f/hostname",
        "Name": "/web",
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "HostConfig": {
            "Binds": null,
            "NetworkMode": "default",
            "PortBindings": {
                "12580/tcp": [{ "HostIp": "", "HostPort": "12580" }]
            },
            "RestartPolicy": { "Name": "no", "MaximumRetryCount": 0 },
            "AutoRemove": false,
            "Privileged": false,
            "PublishAllPorts": false
        },
        "Config": {
            "Hostname": "9c5e0d1a7b3f",
            "ExposedPorts": { "12580/tcp": {}, "53/udp": {} },
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["--port", "12580"],
            "Image": "example/web:1.4"
        },
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": "b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1",
            "SandboxKey": "/var/run/docker/netns/b0c1d2e3f4a5",
            "Ports": {
                "12580/tcp": [
                    { "HostIp": "0.0.0.0", "HostPort": "12580" },
                    { "HostIp": "::", "HostPort": "12580" }
                ],
                "53/udp": null
            },
            "HairpinMode": false,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "SecondaryIPAddresses": null,
            "SecondaryIPv6Addresses": null,
            "EndpointID": "5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a19087f6e",
            "Gateway": "172.17.0.1",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": "172.17.0.4",
            "IPPrefixLen": 16,
            "IPv6Gateway": "",
            "MacAddress": "02:42:ac:11:00:04",
            "Networks": {
                "bridge": {
                    "IPAMConfig": null,
                    "Links": null,
                    "Aliases": null,
                    "MacAddress": "02:42:ac:11:00:04",
                    "NetworkID": "f72ac65deaa1f24ec96398514c03fda16fc4a8ccd2f02ce1b2fc05cc9bcf3b5d",
                    "EndpointID": "5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a19087f6e",
                    "Gateway": "172.17.0.1",
                    "IPAddress": "172.17.0.4",
                    "IPPrefixLen": 16,
                    "IPv6Gateway": "",
                    "GlobalIPv6Address": "",
                    "GlobalIPv6PrefixLen": 0,
                    "DriverOpts": null,
                    "DNSNames": null
                }
            }
        }
    }
]
`;

/** WEB_INSPECT with a change made to its one container object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function inspectOf(change: (container: any) => void): string {
  const all = JSON.parse(WEB_INSPECT) as unknown[];
  change(all[0]);
  return JSON.stringify(all, null, 4);
}
