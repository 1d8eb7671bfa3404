/** The container-credentials endpoint, loaded only by `aws serve-credentials` (it brings node:http). */
export {
  startContainerServer,
  tokenMatches,
  CONTAINER_PATH,
  type ContainerServer,
  type ContainerOptions,
} from '../aws/container-server.js';
