"""Serve the thesis lab on fakepve (PyPI `fakepve[crypto]`), for Provisio's tests and benchmarks.

    python tests/pve/fakelab.py --info /tmp/lab.json [--scenario offline:pmox03] [--extra-guests 500]

The lab: nodes pmox01..pmox03, template 100 "k3s-template" (disks on the shared RBD storage
pmoxpool01, cloud-init drive, agent), storages local, local-lvm, pmoxpool01 (rbd, shared) and
cephfs, bridge vmbr0, VMs 101 opnsense, 103 AI-server, 111-113 control-node-1..3 and 122-123
worker-node-1..2 (pool k3s). A CA and a server certificate signed by it are made per run, so
clients can test CA-file trust and fingerprint pinning.

Once listening, the info file (JSON) holds: url, ca_file, fingerprint (SHA-256, PVE GUI style),
token_id/token_secret (full access), limited_token_id/limited_token_secret (VM.Audit on /vms
only), user/password (ticket login). The process serves until killed.

Scenarios (repeatable): offline:NODE, noquorum, latency:SECONDS (added to every answer),
ceph-down, isos:N, variants (guests with many settings, for import and drift).
"""

import argparse
import asyncio
import datetime
import hashlib
import ipaddress
import json
import os
import sys
import tempfile

from fakepve import FakePve
from fakepve.shapes import PRIVILEGES

TOKEN = ('provisio@pve!ci', '5e1f0c6e-0d55-4d2a-9e3b-6f1d1c0a7b42')
LIMITED = ('auditor@pve!limited', '0b7c2b1e-4a51-4c55-8f0e-2a9d7d3c6e10')
USER, PASSWORD = 'root@pam', 'lab-password'
GiB = 1024 ** 3


def make_pki(directory, host):
    """A CA and a server certificate for host signed by it; returns (cert, key, ca, fingerprint)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Provisio test lab CA')])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName('localhost')]
    for h in {host, '127.0.0.1'}:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            names.append(x509.DNSName(h))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'pmox01.lab')]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {}
    for name, data in (('server.crt', cert.public_bytes(serialization.Encoding.PEM)),
                       ('ca.crt', ca.public_bytes(serialization.Encoding.PEM)),
                       ('server.key', key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.TraditionalOpenSSL,
                                                        serialization.NoEncryption()))):
        paths[name] = os.path.join(directory, name)
        with open(paths[name], 'wb') as out:
            out.write(data)
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    fingerprint = ':'.join(digest[i:i + 2] for i in range(0, 64, 2))
    return paths['server.crt'], paths['server.key'], paths['ca.crt'], fingerprint


def vm_config(cores, memory, disk, size, ip=None, agent=False, cloudinit=True):
    cfg = {'cores': cores, 'sockets': 1, 'memory': memory, 'ostype': 'l26', 'scsihw': 'virtio-scsi-single',
           'scsi0': '{0},size={1}G'.format(disk, size), 'net0': 'virtio=BC:24:11:00:00:01,bridge=vmbr0'}
    if cloudinit:
        storage = disk.split(':')[0]
        cfg['ide2'] = '{0}:vm-cloudinit,media=cdrom'.format(storage)
        cfg['ipconfig0'] = 'ip={0}/24,gw=192.168.1.1'.format(ip) if ip else 'ip=dhcp'
    if agent:
        cfg['agent'] = '1'
    return cfg


# The lab's node size (fakepve's default node is 4 CPUs / 8 GiB); --node-cpus/--node-mem-gib.
NODE_SIZE = {'cpus': 16, 'mem_gib': 64}


def node_stats(online):
    """Node status as /nodes and /cluster/resources report it."""
    if not online:
        return {}
    return {'cpu': 0.05, 'maxcpu': NODE_SIZE['cpus'], 'mem': 12 * GiB, 'maxmem': NODE_SIZE['mem_gib'] * GiB,
            'disk': 8 * GiB, 'maxdisk': 100 * GiB, 'uptime': 86400}


def seed(pve, extra_guests=0):
    # Our lab's nodes are bigger than fakepve's default; /nodes and /cluster/resources read this.
    type(pve)._node_stats = staticmethod(node_stats)
    pve.nodes.clear()
    for n in ('pmox01', 'pmox02', 'pmox03'):
        pve.add_node(n)
    pve.cluster_name = 'homelab'
    pve.storages['local-lvm']['avail'] = 400 * GiB
    pve.add_ceph_storage('pmoxpool01', pool='pmoxpool01')
    # cephfs holds an installer ISO and the vendor snippet that installs the QEMU guest agent.
    pve.storages['cephfs'] = {'type': 'cephfs', 'active': 1, 'content': 'iso,vztmpl,backup,snippets',
                              'files': {'ubuntu-24.04.1-live-server-amd64.iso'}, 'shared': 1,
                              'path': '/mnt/pve/cephfs',
                              'volumes': {'snippets/qemu-guest-agent.yml': {'content': 'snippets', 'format': 'raw',
                                                                            'size': 412}}}
    tmpl = vm_config(2, 2048, 'pmoxpool01:base-100-disk-0', 32, agent=True)
    tmpl['ide2'] = 'pmoxpool01:vm-100-cloudinit,media=cdrom'
    pve.add_vm(100, 'k3s-template', node='pmox01', template=True, config=tmpl)
    pve.add_vm(101, 'opnsense', node='pmox01', status='running',
               config=vm_config(2, 4096, 'local-lvm:vm-101-disk-0', 32, cloudinit=False))
    ai = pve.add_vm(103, 'AI-server', node='pmox02', status='running',
                    config=vm_config(8, 16384, 'local-lvm:vm-103-disk-0', 200, ip='192.168.1.103', agent=True))
    ai.agent = {'interfaces': [
        {'name': 'lo', 'ip-addresses': [{'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', 'prefix': 8}]},
        {'name': 'eth0', 'ip-addresses': [{'ip-address': '192.168.1.103', 'ip-address-type': 'ipv4', 'prefix': 24}]},
        {'name': 'docker0', 'ip-addresses': [{'ip-address': '172.17.0.1', 'ip-address-type': 'ipv4', 'prefix': 16}]},
    ]}
    for i, node in enumerate(('pmox01', 'pmox02', 'pmox03'), 1):
        cfg = vm_config(2, 4096, 'pmoxpool01:vm-11{0}-disk-0'.format(i), 32, ip='192.168.1.11{0}'.format(i))
        cfg['tags'] = 'k3s;master'
        pve.add_vm(110 + i, 'control-node-{0}'.format(i), node=node, status='running', config=cfg, pool='k3s')
    for i, node in enumerate(('pmox02', 'pmox03'), 1):
        cfg = vm_config(4, 8192, 'pmoxpool01:vm-12{0}-disk-0'.format(i + 1), 64, ip='192.168.1.12{0}'.format(i + 1))
        cfg['tags'] = 'k3s;worker'
        pve.add_vm(121 + i, 'worker-node-{0}'.format(i), node=node, status='running', config=cfg, pool='k3s')
    pve.pool_info['k3s'] = {'comment': 'k3s cluster', 'storage': set()}
    nodes = ('pmox01', 'pmox02', 'pmox03')
    for k in range(extra_guests):
        vmid = 1000 + k
        ip = '10.{0}.{1}.{2}'.format(20 + k // 62500, (k // 250) % 250, k % 250 + 2)
        cfg = vm_config(1 + k % 4, 1024 * (1 + k % 4), 'local-lvm:vm-{0}-disk-0'.format(vmid), 16, ip=ip)
        cfg['tags'] = 'bench;' + ('web' if k % 2 else 'db')
        pve.add_vm(vmid, 'bench-{0:04d}'.format(k), node=nodes[k % 3],
                   status='running' if k % 5 else 'stopped', config=cfg)
    pve.apitokens[TOKEN[0]] = TOKEN[1]
    pve.apitokens[LIMITED[0]] = LIMITED[1]
    # The full token and the ticket user hold everything; the limited one only VM.Audit on /vms.
    pve.grant(TOKEN[0], '/', *PRIVILEGES)
    pve.grant(LIMITED[0], '/vms', 'VM.Audit')


def import_variants(pve):
    """Guests made by hand with the settings `provisio import` must carry: several disks on
    different storages, several NICs with VLAN tags, cloud-init with static IPs, EFI + TPM with
    passthrough, and a container with mount points (scenario `variants`)."""
    pve.storages.setdefault('local-zfs', {'type': 'zfspool', 'active': 1, 'content': 'images,rootdir',
                                          'avail': 500 * GiB, 'total': 900 * GiB, 'shared': 0})
    pve.add_vm(130, 'db-multi-disk', node='pmox01', status='running', config={
        'cores': 4, 'sockets': 2, 'memory': 8192, 'balloon': 2048, 'cpu': 'host', 'numa': 1, 'ostype': 'l26',
        'scsihw': 'virtio-scsi-single', 'boot': 'order=scsi0;net0', 'onboot': 1, 'startup': 'order=2,up=30',
        'description': 'postgres, data on ceph', 'tags': 'db;prod',
        'scsi0': 'local-lvm:vm-130-disk-0,iothread=1,size=32G',
        'scsi1': 'pmoxpool01:vm-130-disk-1,discard=on,ssd=1,size=100G',
        'virtio0': 'local-zfs:vm-130-disk-2,backup=0,cache=writeback,size=10G',
        'ide0': 'cephfs:iso/ubuntu-24.04.1-live-server-amd64.iso,media=cdrom',
        'net0': 'virtio=BC:24:11:13:00:01,bridge=vmbr0'})
    pve.add_vm(131, 'edge-multi-nic', node='pmox02', status='running', config={
        'cores': 2, 'memory': 2048, 'ostype': 'l26', 'scsihw': 'virtio-scsi-pci', 'agent': 'enabled=1,fstrim_cloned_disks=1',
        'scsi0': 'pmoxpool01:vm-131-disk-0,size=16G', 'ide2': 'pmoxpool01:vm-131-cloudinit,media=cdrom',
        'net0': 'virtio=BC:24:11:13:01:01,bridge=vmbr0,tag=10',
        'net1': 'e1000=BC:24:11:13:01:02,bridge=vmbr0,firewall=1,tag=20',
        'net2': 'virtio=BC:24:11:13:01:03,bridge=vmbr0,mtu=9000,link_down=1',
        'ipconfig0': 'ip=10.10.0.31/24,gw=10.10.0.1', 'ipconfig1': 'ip=10.20.0.31/24',
        'nameserver': '10.10.0.2 10.10.0.3', 'searchdomain': 'lab.internal', 'ciuser': 'ops',
        'cipassword': '$5$secret$hash', 'sshkeys': 'ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIOps%20ops%40lab%0A',
        'tags': 'edge'})
    pve.add_vm(132, 'win-uefi-tpm', node='pmox03', status='stopped', config={
        'cores': 4, 'memory': 8192, 'bios': 'ovmf', 'machine': 'pc-q35-9.2', 'ostype': 'win11',
        'cpu': 'x86-64-v2-AES', 'scsihw': 'virtio-scsi-single', 'agent': '1',
        'efidisk0': 'local-lvm:vm-132-disk-0,efitype=4m,pre-enrolled-keys=1,size=4M',
        'tpmstate0': 'local-lvm:vm-132-disk-2,size=4M,version=v2.0',
        'scsi0': 'local-lvm:vm-132-disk-1,discard=on,iothread=1,ssd=1,size=64G',
        'net0': 'virtio=BC:24:11:13:02:01,bridge=vmbr0',
        'serial0': 'socket', 'hostpci0': '0000:01:00.0,pcie=1', 'usb0': 'host=1234:5678,usb3=1',
        'vga': 'qxl,memory=64', 'tablet': 0, 'cpulimit': 2, 'cpuunits': 200,
        'rng0': 'source=/dev/urandom,max_bytes=1024,period=1000'})
    pve.add_ct(140, 'files-ct', node='pmox02', status='running', pool='k3s', config={
        'hostname': 'files-ct', 'cores': 2, 'memory': 1024, 'swap': 256, 'ostype': 'debian', 'arch': 'amd64',
        'unprivileged': 1, 'onboot': 1, 'features': 'keyctl=1,mount=nfs;cifs,nesting=1', 'tags': 'files',
        'rootfs': 'local-lvm:vm-140-disk-0,size=8G',
        'mp0': 'pmoxpool01:vm-140-disk-1,mp=/srv/data,backup=1,size=20G',
        'mp1': 'local-lvm:vm-140-disk-2,mp=/var/log/app,size=5G',
        'net0': 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:14:00:01,ip=192.168.1.140/24,gw=192.168.1.1,tag=30,type=veth',
        'net1': 'name=eth1,bridge=vmbr0,hwaddr=BC:24:11:14:00:02,ip=dhcp,type=veth',
        'nameserver': '192.168.1.1', 'searchdomain': 'lab.internal'})


def control_app(pve):
    """A plain-HTTP control channel on localhost for tests: inject faults and drift while
    provisio talks to the lab (fakepve's scenario methods, called between requests)."""
    from aiohttp import web

    async def handle(request):
        body = await request.json() if request.can_read_body else {}
        op = request.match_info['op']
        if op == 'fail':
            pve.fail(body['method'], body['suffix'], status=body.get('status'), message=body.get('message'),
                     error=body.get('error'), times=body.get('times'))
        elif op == 'clear':
            pve.failures.clear()
            pve.network.update(latency=0.0)
            pve.time_scale = 0
            pve.ceph_recover()
            pve.regain_quorum()
            for n in list(pve.nodes):
                pve.set_node_offline(n, False)
        elif op == 'offline':
            pve.set_node_offline(body['node'], body.get('offline', True))
        elif op == 'noquorum':
            pve.lose_quorum()
        elif op == 'lock':
            pve.snapshot_lock(int(body['vmid']), body.get('lock', 'backup'))
        elif op == 'ha':
            # HA membership as PVE reports it in /cluster/resources (`hastate`); None: not managed
            pve.guest(int(body['vmid'])).ha_state = body.get('state')
        elif op == 'unlock':
            pve.unlock(int(body['vmid']))
        elif op == 'latency':
            pve.time_scale = 1.0
            pve.slow_network(float(body['secs']))
        elif op == 'ceph-slow':
            pve.time_scale = 1.0
            pve.ceph_slow(float(body['secs']))
        elif op == 'add-vm':
            pve.add_vm(int(body['vmid']), body['name'], node=body['node'], status='stopped',
                       config=vm_config(1, 1024, 'local-lvm:vm-{0}-disk-0'.format(body['vmid']), 8, cloudinit=False))
        elif op == 'vms':
            return web.json_response([{'vmid': v.vmid, 'name': v.name, 'node': v.node, 'status': v.status,
                                       'template': bool(v.template), 'config': {k: str(x) for k, x in v.config.items()}}
                                      for v in pve.vms])
        else:
            raise web.HTTPNotFound()
        return web.json_response({'ok': True})

    app = web.Application()
    app.router.add_route('*', '/{op}', handle)
    return app


async def serve(args):
    host = args.host
    tmp = tempfile.mkdtemp(prefix='provisio-fakelab-')
    cert, key, ca, fingerprint = make_pki(tmp, host)
    pve = FakePve(user=USER, password=PASSWORD, host=host, port=args.port)
    pve.time_scale = 0
    seed(pve, args.extra_guests)
    for s in args.scenario:
        name, _, value = s.partition(':')
        if name == 'offline':
            pve.set_node_offline(value)
        elif name == 'noquorum':
            pve.lose_quorum()
        elif name == 'latency':
            pve.time_scale = 1.0
            pve.slow_network(float(value))
        elif name == 'ceph-down':
            pve.ceph_down()
        elif name == 'variants':
            import_variants(pve)
        elif name == 'isos':
            # cephfs holds this many more installer ISOs (a storage listing past provisio's cap).
            pve.storages['cephfs']['files'].update('extra-{0:03d}.iso'.format(i) for i in range(int(value)))
        else:
            sys.exit('unknown scenario ' + s)
    await pve.start(cert, key)
    from aiohttp import web
    runner = web.AppRunner(control_app(pve))
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', 0)
    await site.start()
    control = 'http://127.0.0.1:{0}'.format(runner.addresses[0][1])
    info = {'url': 'https://{0}:{1}'.format(host, pve.port), 'ca_file': ca, 'fingerprint': fingerprint,
            'token_id': TOKEN[0], 'token_secret': TOKEN[1], 'limited_token_id': LIMITED[0],
            'limited_token_secret': LIMITED[1], 'user': USER, 'password': PASSWORD,
            'guests': len(pve.vms), 'pid': os.getpid(), 'control': control}
    part = args.info + '.part'
    with open(part, 'w') as out:
        json.dump(info, out)
    os.replace(part, args.info)
    print('fakelab listening on ' + info['url'], flush=True)
    await asyncio.Event().wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--info', required=True, help='write connection details (JSON) here once listening')
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=0, help='0: any free port')
    p.add_argument('--extra-guests', type=int, default=0, help='add this many VMs (for benchmarks)')
    p.add_argument('--scenario', action='append', default=[])
    p.add_argument('--node-cpus', type=int, default=16, help='CPU threads per node')
    p.add_argument('--node-mem-gib', type=int, default=64, help='RAM per node')
    args = p.parse_args()
    NODE_SIZE.update(cpus=args.node_cpus, mem_gib=args.node_mem_gib)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
