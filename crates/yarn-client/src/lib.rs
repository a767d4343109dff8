//! # yarn-client
//!
//! YARN protocol clients: ApplicationClientProtocol, ApplicationMasterProtocol and ContainerManagementProtocol.
