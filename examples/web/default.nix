# A small web deployment that runs with nothing but python3:
#
#   migrate  a one-shot job that builds the site's pages, then exits
#   site     python3's http.server, serving the pages once they exist
#   worker   polls the site every second and reports what it finds
#
# Run it:  nix2dream up examples/web
{ config, lib, ... }:
let
  # Shared by the job that writes the pages and the server that serves them.
  pages = "${config.stateDirectory}/pages";
in
{
  description = "A static site, the job that builds it, and a worker that watches it";

  services.migrate = {
    description = "Builds the site's pages (runs once, before the site starts)";
    process.argv = [ "python3" ./migrate.py pages ];
    service.volumes.pages = {
      path = pages;
      persisting = false; # rebuilt from scratch on every start
    };
  };

  services.site = {
    description = "Serves the pages over HTTP";
    # Shell words: $PORT_HTTP is the port nix2dream allocated for `http`.
    service.package = "python3";
    service.args = [ "-m" "http.server" "--bind" "127.0.0.1" "--directory" pages "$PORT_HTTP" ];
    ports.http = { port = 8000; protocol = "tcp"; };
    # Ready once the port accepts connections (an httpGet check would work
    # too, but would add a line to the server's access log every second).
    healthCheck.tcpConnect.port = "http";
    dependsOn.migrate.condition = "completed-successfully";
    restart.policy = "on-failure";
  };

  services.worker = {
    description = "Polls the site and reports its status";
    process.argv = [ "python3" "-u" ./worker.py ];
    # SITE_PORT_HTTP, the site's port, is in the environment of the services
    # that depend on the site.
    service.env.POLL_SECONDS = 1;
    dependsOn.site.condition = "healthy";
    restart = {
      policy = "on-failure";
      delay = "500ms";
    };
  };
}
