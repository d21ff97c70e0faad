# A note-taking HTTP API with its data in a persisting volume, and a client
# job that uses it once the API is healthy.
#
# Run it:  nix2dream up examples/notes
{
  description = "A JSON API that keeps notes in a volume, and a client";

  services.api = { config, ... }: {
    description = "Keeps notes; GET/POST /notes, GET /health";
    service.package = "python3";
    service.args = [ "-u" ./api.py ];
    service.env.NOTES_DIR = config.service.volumes.data.path;
    # TITLE comes from a file of NAME=value lines.
    environmentFiles = [ ./notes.env ];
    service.volumes.data = { }; # kept across restarts, below the state directory
    ports.http = { };
    healthCheck = {
      httpGet = { port = "http"; path = "/health"; };
      interval = "500ms";
    };
    restart = {
      policy = "always";
      delay = "1s";
      maxDelay = "10s";
    };
    # Python turns SIGINT into KeyboardInterrupt and exits cleanly.
    stopSignal = "SIGINT";
    stopGracePeriod = "3s";
  };

  services.client = {
    description = "Adds two notes and lists them";
    process.argv = [ "python3" "-u" ./client.py ];
    dependsOn.api.condition = "healthy";
  };
}
