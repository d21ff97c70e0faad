# The deployment module: every option a deployment file can set. A
# deployment file is evaluated together with this module (see
# ../default.nix, `evalDeployment`).
{
  imports = [ ./deployment.nix ];
}
