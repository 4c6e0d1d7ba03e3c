import { describe, expect, it } from 'vitest';
import { airgapUploads, k3sArch, resolveAirgapBundle } from '../../src/bootstrap/airgap.js';

describe('k3sArch', () => {
  it('maps uname -m to k3s architecture names', () => {
    // GIVEN / WHEN / THEN
    expect(['x86_64\n', 'aarch64', 'armv7l', 'arm64'].map(k3sArch)).toEqual(['amd64', 'arm64', 'arm', 'arm64']);
    expect(() => k3sArch('s390x')).toThrow('unsupported architecture "s390x"; k3s ships amd64, arm64 and arm');
  });
});

describe('resolveAirgapBundle', () => {
  const names = ['install.sh', 'k3s', 'k3s-arm64', 'k3s-airgap-images-amd64.tar.zst', 'k3s-airgap-images-arm64.tar.gz', 'sha256sum-amd64.txt'];

  it('chooses the binary and images of the architecture', () => {
    // GIVEN / WHEN / THEN
    expect(resolveAirgapBundle('/srv/b', names, 'amd64')).toEqual({ binary: '/srv/b/k3s', images: ['/srv/b/k3s-airgap-images-amd64.tar.zst'], installScript: '/srv/b/install.sh' });
    expect(resolveAirgapBundle('/srv/b', names, 'arm64')).toEqual({ binary: '/srv/b/k3s-arm64', images: ['/srv/b/k3s-airgap-images-arm64.tar.gz'], installScript: '/srv/b/install.sh' });
  });

  it('fails naming everything that is missing', () => {
    // GIVEN / WHEN / THEN
    expect(() => resolveAirgapBundle('/srv/b', ['k3s'], 'arm')).toThrow(`'--airgap-bundle' "/srv/b" lacks the k3s binary "k3s-armhf", an images tarball k3s-airgap-images-arm.tar[.gz|.zst], the install script "install.sh" for arm`);
  });
});

describe('airgapUploads', () => {
  it('places the binary, images and install script where k3s expects them', () => {
    // GIVEN / WHEN / THEN
    expect(airgapUploads({ binary: '/srv/b/k3s', images: ['/srv/b/k3s-airgap-images-amd64.tar.zst'], installScript: '/srv/b/install.sh' })).toEqual([
      { path: '/usr/local/bin/k3s', mode: 0o755, localPath: '/srv/b/k3s' },
      { path: '/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst', mode: 0o644, localPath: '/srv/b/k3s-airgap-images-amd64.tar.zst' },
      { path: '/var/lib/rancher/k3s/dokku-gitops/install.sh', mode: 0o755, localPath: '/srv/b/install.sh' },
    ]);
  });
});
