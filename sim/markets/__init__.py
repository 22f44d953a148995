"""The chain's markets, one file each with its stage functions: ``labels`` (labs buy labelled examples),
``gpu_hours`` (training and inference GPU-hours from cloud fleets, energy and carbon), ``licences`` (labs release
models, providers license and price them, pay licence fees), ``api_tokens`` (apps choose a provider), ``end_users``
(end users adopt apps and pay subscriptions), ``firms`` (staff costs, exits and entries); ``clearing`` holds the
vectorised algorithms they share (merit order, logit choice, HHI, group sums)."""
